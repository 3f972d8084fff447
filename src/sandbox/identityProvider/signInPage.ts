/**
 * The sandbox's sign-in pages (plain HTML, no script except the form_post hand-back): pick a sandbox
 * user, no password asked, MFA counts as passed. Only for `npm start` demos and tests that post the form.
 */
import type { ServerResponse } from 'node:http';

const STYLE =
  'body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem;color:#1b1b1b}' +
  'fieldset{border:1px solid #ccc;padding:1rem}label{display:block;margin:.4rem 0}' +
  'button{margin:1rem .5rem 0 0;padding:.5rem 1rem}.error{color:#a4262c}.note{color:#555;font-size:.9rem}';

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

function page(title: string, body: string): string {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body>${body}</body></html>`;
}

export function sendHtml(
  res: ServerResponse,
  status: number,
  html: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(html),
    'cache-control': 'no-store',
    'x-frame-options': 'DENY',
    ...headers,
  });
  res.end(html);
}

function userChoices(usernames: string[], selected: string | undefined): string {
  const wanted = selected?.toLowerCase() ?? usernames[0]?.toLowerCase();
  return usernames
    .map(
      (name) =>
        `<label><input type="radio" name="username" value="${escapeHtml(name)}"${name.toLowerCase() === wanted ? ' checked' : ''}> ${escapeHtml(name)}</label>`,
    )
    .join('');
}

export interface SignInPageModel {
  /** Where the form posts: the authorize endpoint of the tenant. */
  action: string;
  requestId: string;
  clientId: string;
  scopes: string[];
  usernames: string[];
  loginHint?: string;
  error?: string;
}

/** The authorization endpoint's page. Fields: `request`, `username`, `action` (`sign_in` or `cancel`). */
export function renderSignInPage(model: SignInPageModel): string {
  const error = model.error ? `<p class="error">${escapeHtml(model.error)}</p>` : '';
  return page(
    'Sign in to your account (sandbox)',
    `<h1>Sign in (sandbox)</h1>${error}
<p>Application <code>${escapeHtml(model.clientId)}</code> asks for <code>${escapeHtml(model.scopes.join(' '))}</code>.</p>
<form method="post" action="${escapeHtml(model.action)}">
<input type="hidden" name="request" value="${escapeHtml(model.requestId)}">
<fieldset><legend>Sign in as</legend>${userChoices(model.usernames, model.loginHint)}</fieldset>
<p class="note">No password is asked; multi-factor authentication counts as passed.</p>
<button type="submit" name="action" value="sign_in">Sign in</button>
<button type="submit" name="action" value="cancel">Cancel</button>
</form>`,
  );
}

/** Entra shows an error page (and does not redirect) when it cannot trust the client or its redirect URI. */
export function renderErrorPage(description: string): string {
  return page(
    'Sign in to your account (sandbox)',
    `<h1>Sorry, but we're having trouble signing you in.</h1><p class="error">${escapeHtml(description)}</p>`,
  );
}

/** The verification page of the device code flow. Fields: `user_code`, `username`, `action` (`approve` or `decline`). */
export function renderDeviceLoginPage(
  action: string,
  usernames: string[],
  message?: { text: string; error?: boolean },
): string {
  const note = message
    ? `<p class="${message.error ? 'error' : 'note'}">${escapeHtml(message.text)}</p>`
    : '';
  return page(
    'Enter code (sandbox)',
    `<h1>Enter code</h1>${note}
<form method="post" action="${escapeHtml(action)}">
<label>Code <input name="user_code" autocomplete="off" autofocus></label>
<fieldset><legend>Sign in as</legend>${userChoices(usernames, undefined)}</fieldset>
<p class="note">No password is asked; multi-factor authentication counts as passed.</p>
<button type="submit" name="action" value="approve">Sign in</button>
<button type="submit" name="action" value="decline">Decline</button>
</form>`,
  );
}

/** `response_mode=form_post`: a page that posts the parameters to the redirect URI. */
export function renderFormPost(redirectUri: string, params: Record<string, string>): string {
  const fields = Object.entries(params)
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('');
  return page(
    'Working...',
    `<form method="post" action="${escapeHtml(redirectUri)}">${fields}<noscript><button type="submit">Continue</button></noscript></form><script>document.forms[0].submit()</script>`,
  );
}
