// Getting an agent's attention for a new chat or message: a short tone (generated, no file to
// load) and a desktop notification when the console is not in front. Notifications name the
// kind of contact and its number only, never a patient's name or words: they show on screens
// and lock screens anyone nearby can read.
let audio: AudioContext | null = null;

export function unlockSound(): void {
  if (!audio && typeof AudioContext !== "undefined") audio = new AudioContext();
  void audio?.resume();
}

export function chime(): void {
  if (!audio) return;
  const now = audio.currentTime;
  for (const [i, freq] of [880, 1320].entries()) {
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.frequency.value = freq;
    gain.gain.setValueAtTime(0.0001, now + i * 0.15);
    gain.gain.exponentialRampToValueAtTime(0.2, now + i * 0.15 + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, now + i * 0.15 + 0.14);
    osc.connect(gain).connect(audio.destination);
    osc.start(now + i * 0.15);
    osc.stop(now + i * 0.15 + 0.15);
  }
}

export async function askForNotifications(): Promise<void> {
  if (typeof Notification !== "undefined" && Notification.permission === "default") {
    await Notification.requestPermission();
  }
}

export function notifyDesktop(title: string, body: string, tag: string, onClick: () => void): void {
  if (typeof Notification === "undefined" || Notification.permission !== "granted") return;
  const n = new Notification(title, { body, tag });
  n.onclick = () => {
    window.focus();
    onClick();
    n.close();
  };
}
