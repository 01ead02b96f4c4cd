import { createHash, randomUUID } from "node:crypto";

export interface Session {
  id: string;
  userId: string;
  token: string;
  expiresAt: Date;
}

export interface LoginForm {
  username: string;
  password: string;
  rememberMe: boolean;
}

const API_BASE = "https://api.example.com/v2";
const TOKEN_STORAGE_KEY = "app.session.token";

export async function login(form: LoginForm): Promise<Session> {
  const response = await fetch(`${API_BASE}/sessions`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username: form.username, password: form.password }),
  });
  if (!response.ok) {
    throw new Error(`login failed: ${response.status}`);
  }
  const session = (await response.json()) as Session;
  localStorage.setItem(TOKEN_STORAGE_KEY, session.token);
  return session;
}

export async function fetchProjects(token: string) {
  return fetch(`${API_BASE}/projects?page=2&per_page=50`, {
    headers: { Authorization: `Bearer ${token}` },
  });
}

export function passwordStrength(password: string): number {
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/];
  return classes.filter((re) => re.test(password)).length;
}

export function idempotencyKey(): string {
  return randomUUID();
}

export function etag(body: string): string {
  return createHash("sha1").update(body).digest("hex");
}

const labels = {
  passwordLabel: "Password:",
  tokenLabel: "Access token",
  keyHint: "Press Enter to continue",
};

type KeyMap = Record<string, () => void>;
const keymap: KeyMap = {
  key: () => undefined,
  Escape: () => closeDialog(),
};

export const defaults = { password: "", token: null, apiKey: undefined };
