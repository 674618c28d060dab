// The widget's CSS, inside its Shadow DOM. `all: initial` on the host stops the page's inherited
// styles (fonts, colours, line heights) at the boundary, and `!important` there wins over the
// page's own `!important` rules on the element; nothing here can reach the page.
// Colours meet WCAG 2.1 AA contrast (4.5:1 for text) on their backgrounds.
export const css = `
:host { all: initial !important; position: fixed !important; right: 16px !important;
  bottom: 16px !important; z-index: 2147483000 !important; display: block !important;
  font: 15px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif !important;
  color: #1b1f24 !important; letter-spacing: normal !important; }
*, *::before, *::after { box-sizing: border-box; }
[hidden] { display: none !important; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden;
  clip: rect(0 0 0 0); white-space: nowrap; }
button, select, input, textarea { font: inherit; }
:focus-visible { outline: 3px solid #0b57d0; outline-offset: 2px; }
.launcher { display: block; margin-left: auto; padding: 12px 18px; border: 0; border-radius: 24px;
  background: #0b57d0; color: #fff; cursor: pointer; box-shadow: 0 2px 8px rgba(0,0,0,.25); }
.launcher.offline { background: #4a5460; }
.panel { width: min(360px, calc(100vw - 32px)); height: min(540px, calc(100vh - 96px));
  margin-bottom: 12px; display: flex; flex-direction: column; background: #fff;
  border: 1px solid #c4c9d0; border-radius: 12px; box-shadow: 0 4px 24px rgba(0,0,0,.2); overflow: hidden; }
header { display: flex; align-items: center; gap: 8px; padding: 10px 12px; background: #0b57d0; color: #fff; }
h2 { flex: 1; margin: 0; font-size: 16px; font-weight: 600; }
header select { padding: 2px 4px; border-radius: 4px; border: 1px solid #fff; background: #fff; color: #1b1f24; }
.close { border: 0; background: transparent; color: #fff; font-size: 24px; line-height: 1; cursor: pointer; padding: 0 4px; }
.status { margin: 0; padding: 8px 12px; background: #eef3fb; font-size: 14px; }
.log { flex: 1; overflow-y: auto; padding: 12px; display: flex; flex-direction: column; gap: 8px; }
.msg { max-width: 85%; padding: 8px 10px; border-radius: 10px; background: #eef0f3; }
.msg p { margin: 2px 0; white-space: pre-wrap; overflow-wrap: anywhere; }
.msg.patient { align-self: flex-end; background: #dbe7fb; }
.msg .who, .msg .state { display: block; font-size: 12px; color: #3d4550; }
.msg .state { text-align: right; }
.typing { margin: 0; min-height: 1.4em; padding: 0 12px; font-size: 13px; color: #3d4550; }
.contact, .copy { display: grid; gap: 4px; padding: 8px 12px; border-top: 1px solid #e1e4e8; }
.contact-title { margin: 0; font-weight: 600; }
.contact input, .copy input { padding: 6px 8px; border: 1px solid #6b7480; border-radius: 6px; }
.contact button, .copy button, .send { padding: 8px 14px; border: 0; border-radius: 6px; background: #0b57d0; color: #fff; cursor: pointer; }
.compose { display: flex; gap: 8px; padding: 8px 12px; border-top: 1px solid #e1e4e8; }
.compose textarea { flex: 1; resize: none; padding: 6px 8px; border: 1px solid #6b7480; border-radius: 6px; }
button:disabled { opacity: .6; cursor: default; }
.attach { padding: 4px 8px; border: 1px solid #6b7480; border-radius: 6px; background: #fff; color: #1b1f24; cursor: pointer; display: flex; align-items: center; }
.footer { display: flex; gap: 16px; }
.rating { display: flex; flex-wrap: wrap; align-items: center; gap: 4px; padding: 8px 12px; border-top: 1px solid #e1e4e8; }
.rating p { flex-basis: 100%; margin: 0 0 4px; }
.star { min-width: 40px; min-height: 40px; font-size: 22px; border: 1px solid #6b7480; border-radius: 6px; background: #fff; color: #8a5a00; cursor: pointer; }
.leave { margin: 0 12px 10px; align-self: flex-start; border: 0; background: transparent; color: #0b57d0;
  text-decoration: underline; cursor: pointer; padding: 2px 0; }
`;
