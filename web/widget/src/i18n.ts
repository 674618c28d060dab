// What the widget says, in each language it offers. Picked from the browser, switchable.
export type Lang = "en" | "es";

export const strings = {
  en: {
    launcher: "Chat with us",
    close: "Close chat",
    title: "Chat with {practice}",
    language: "Language",
    online: "Someone is here to help.",
    wait: "Expected wait: about {minutes} min.",
    position: "You are number {n} in line.",
    offered: "Connecting you with the next available person…",
    offline: "Nobody can chat right now. Ask your question and leave a phone number or email: we will answer you there.",
    afterHours: "We are closed right now. Ask your question and leave a phone number or email: we will answer you there.",
    answered: "You are chatting with {agent}.",
    ended: "This chat has ended.",
    messageLabel: "Your message",
    placeholder: "Type your message…",
    send: "Send",
    sending: "Sending…",
    sent: "Sent",
    read: "Read",
    failed: "Not sent yet. We will retry.",
    typing: "{who} is typing…",
    practice: "The practice",
    you: "You",
    contactTitle: "How can we reach you?",
    phone: "Mobile phone",
    email: "Email",
    contactSend: "Save",
    contactSaved: "Thank you. We will answer you there.",
    contactInvalid: "Please check the number or address.",
    leave: "End chat",
    noPhi: "Please do not share medical details until we have confirmed who you are.",
    attach: "Attach a photo or PDF",
    fileTooLarge: "That file is too large (10 MB at most).",
    fileType: "Only photos and PDF files can be sent.",
    fileFailed: "The file could not be sent. Please try again.",
    transcript: "Email me this chat",
    transcriptEmail: "Your email",
    transcriptSend: "Send me a copy",
    transcriptSent: "A copy is on its way to {to}.",
    transcriptFailed: "The copy could not be sent.",
    rateQuestion: "How satisfied are you with this chat?",
    rateStar: "{n} of 5",
    rateThanks: "Thank you for telling us.",
    rateFailed: "Your rating could not be saved.",
  },
  es: {
    launcher: "Chatee con nosotros",
    close: "Cerrar el chat",
    title: "Chat con {practice}",
    language: "Idioma",
    online: "Hay alguien para ayudarle.",
    wait: "Espera aproximada: {minutes} min.",
    position: "Usted es el número {n} en la fila.",
    offered: "Le estamos conectando con la próxima persona disponible…",
    offline: "Nadie puede chatear ahora. Escriba su pregunta y deje un teléfono o correo: le responderemos allí.",
    afterHours: "Estamos cerrados. Escriba su pregunta y deje un teléfono o correo: le responderemos allí.",
    answered: "Está chateando con {agent}.",
    ended: "Este chat ha terminado.",
    messageLabel: "Su mensaje",
    placeholder: "Escriba su mensaje…",
    send: "Enviar",
    sending: "Enviando…",
    sent: "Enviado",
    read: "Leído",
    failed: "Aún no enviado. Lo intentaremos de nuevo.",
    typing: "{who} está escribiendo…",
    practice: "La clínica",
    you: "Usted",
    contactTitle: "¿Cómo podemos contactarle?",
    phone: "Teléfono móvil",
    email: "Correo electrónico",
    contactSend: "Guardar",
    contactSaved: "Gracias. Le responderemos allí.",
    contactInvalid: "Revise el número o la dirección.",
    leave: "Terminar el chat",
    noPhi: "No comparta datos médicos hasta que confirmemos su identidad.",
    attach: "Adjuntar una foto o un PDF",
    fileTooLarge: "El archivo es demasiado grande (10 MB como máximo).",
    fileType: "Solo se pueden enviar fotos y archivos PDF.",
    fileFailed: "No se pudo enviar el archivo. Inténtelo de nuevo.",
    transcript: "Enviarme este chat por correo",
    transcriptEmail: "Su correo electrónico",
    transcriptSend: "Enviarme una copia",
    transcriptSent: "Le enviamos una copia a {to}.",
    transcriptFailed: "No se pudo enviar la copia.",
    rateQuestion: "¿Qué tan satisfecho está con este chat?",
    rateStar: "{n} de 5",
    rateThanks: "Gracias por decírnoslo.",
    rateFailed: "No se pudo guardar su valoración.",
  },
} as const;

export type Key = keyof (typeof strings)["en"];

export function pickLanguage(offered: readonly string[], browser: readonly string[]): Lang {
  for (const tag of browser) {
    const base = tag.slice(0, 2).toLowerCase();
    if ((base === "en" || base === "es") && offered.includes(base)) return base;
  }
  return offered.includes("en") || offered.length === 0 ? "en" : (offered[0] as Lang);
}

export function t(lang: Lang, key: Key, vars: Record<string, string | number> = {}): string {
  let text: string = strings[lang][key];
  for (const [name, value] of Object.entries(vars)) text = text.replace(`{${name}}`, String(value));
  return text;
}
