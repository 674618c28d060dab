// The console's calls to the CareDesk API: same origin, the session cookie, and the CSRF token
// (from sign-in or GET /api/v1/me) on every unsafe request. Errors carry the server's code,
// message and field so forms can say exactly what is wrong.
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field: string,
  ) {
    super(message);
  }
}

let csrfToken = "";
let onSignedOut: () => void = () => {};

export function setCsrfToken(token: string): void {
  csrfToken = token;
}
export function whenSignedOut(handler: () => void): void {
  onSignedOut = handler;
}

export async function api<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && csrfToken) headers["X-CSRF-Token"] = csrfToken;
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, "offline", "CareDesk cannot be reached; check the connection", "");
  }
  const text = await res.text();
  let data: unknown = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!res.ok) {
    const e = (data as { error?: { code?: string; message?: string; field?: string } } | null)
      ?.error;
    const err = new ApiError(
      res.status,
      e?.code ?? "error",
      e?.message ?? `the server answered ${res.status}`,
      e?.field ?? "",
    );
    if (res.status === 401 && path !== "/api/v1/session") onSignedOut();
    throw err;
  }
  return data as T;
}

// Sends a file as the request body (the server tells what it is from its bytes).
export async function upload<T = unknown>(path: string, file: File): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method: "POST",
      headers: { "Content-Type": file.type || "application/octet-stream", "X-CSRF-Token": csrfToken },
      credentials: "same-origin",
      body: file,
    });
  } catch {
    throw new ApiError(0, "offline", "CareDesk cannot be reached; check the connection", "");
  }
  const data = (await res.json().catch(() => null)) as { error?: { code: string; message: string; field: string } } | null;
  if (!res.ok) {
    throw new ApiError(res.status, data?.error?.code ?? "error", data?.error?.message ?? `the server answered ${res.status}`, data?.error?.field ?? "");
  }
  return data as T;
}

export function query(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== "") q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : "";
}
