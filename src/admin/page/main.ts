/**
 * The admin page (docs/admin.md): status summary, token table, recent audit entries and the seed's admin
 * actions. Plain DOM, loaded by index.html as an external script (the CSP forbids inline script).
 */
import { expiresIn } from '../../lib/format';
import type { StatusReport, TokenRecord } from '../../lib/types';
import { ApiClient, ApiError, readResponse } from './api';
import { ADMIN_ROLE, type AdminConfig, type Auth, DevAuth, EntraAuth, READ_ROLE, type Session } from './auth';
import { byId, h, replace } from './dom';
import { renderReport } from './report';
import { describeResult, type ResultView } from './results';
import { renderAudit, renderStatus, renderTokenRow } from './views';
import { showLastSyncs } from './lastSyncs';

const API_BASE = '/api';
const ADMIN_BASE = `${API_BASE}/admin`;
/** Data is reloaded this often while signed in; "expires in" ticks every second in between. */
const RELOAD_MS = 30_000;

class AdminPage {
  private session: Session | null = null;
  private api: ApiClient | null = null;
  private tokens: TokenRecord[] = [];
  /** The active token from status: always shown first, also when it is on a page not loaded yet. */
  private current: TokenRecord | null = null;
  /** Where the next page of the token list starts (`null`: everything is loaded). */
  private continuation: string | null = null;
  private readonly selected = new Set<string>();
  private busy = false;
  private blockedDescription = '';
  private reloadTimer: number | undefined;

  constructor(private readonly auth: Auth) {}

  async start(config: AdminConfig): Promise<void> {
    const mode = byId('mode');
    mode.textContent = config.mode === 'sandbox' ? 'Local sandbox' : 'Entra ID';
    mode.hidden = false;
    byId('sign-in-admin').addEventListener('click', () => void this.signIn(ADMIN_ROLE));
    byId('sign-in-read').addEventListener('click', () => void this.signIn(READ_ROLE));
    byId('sign-in').addEventListener('click', () => void this.signIn(ADMIN_ROLE));
    byId('sign-out').addEventListener('click', () => void this.signOut());
    this.wireActions();
    window.setInterval(() => this.tick(), 1000);
    try {
      this.setSession(await this.auth.restore());
    } catch (error) {
      this.setSession(null);
      this.showError(error);
    }
    this.showSignInOutcome();
    byId('loading').hidden = true;
  }

  private get isAdmin(): boolean {
    return this.session?.roles.includes(ADMIN_ROLE) ?? false;
  }

  private async signIn(role: typeof ADMIN_ROLE | typeof READ_ROLE): Promise<void> {
    this.clearMessages();
    try {
      const session = await this.auth.signIn(role);
      if (session) this.setSession(session);
    } catch (error) {
      this.showError(error);
    }
  }

  private async signOut(): Promise<void> {
    const session = this.session;
    this.setSession(null);
    this.clearMessages();
    await session?.signOut();
  }

  private setSession(session: Session | null): void {
    this.session = session;
    this.api = session ? new ApiClient(API_BASE, () => session.token()) : null;
    const signedIn = session !== null;
    const sandbox = this.auth instanceof DevAuth;
    byId('sign-in').hidden = signedIn || sandbox;
    byId('sign-in-admin').hidden = signedIn || !sandbox;
    byId('sign-in-read').hidden = signedIn || !sandbox;
    byId('sign-out').hidden = !signedIn;
    const user = byId('user');
    user.hidden = !signedIn;
    user.textContent = session
      ? `${session.name} · ${session.roles.includes(ADMIN_ROLE) ? 'Admin' : session.roles.includes(READ_ROLE) ? 'Read-only' : 'no role'}`
      : '';
    byId('signed-out').hidden = signedIn;
    byId('content').hidden = !signedIn;
    byId('read-only-note').hidden = !signedIn || this.isAdmin;
    window.clearInterval(this.reloadTimer);
    this.selected.clear();
    if (signedIn) {
      this.reloadTimer = window.setInterval(() => void this.reload(), RELOAD_MS);
      this.updateButtons();
      void this.reload();
    }
  }

  private wireActions(): void {
    const action = (id: string, run: () => Promise<void>): void => {
      byId(id).addEventListener('click', () => void run());
    };
    action('action-acquire', () =>
      this.act(
        'Acquire a token',
        'Get a valid token: from the cache or storage if one is valid, else from Entra ID.',
        'Acquire',
        () => this.api!.acquire(false).then((r) => describeResult.acquire(r)),
      ),
    );
    action('action-force-refresh', () =>
      this.act(
        'Force refresh',
        'Ask the identity provider for a new token now, even if the current one is valid. A password Entra ID rejected is never sent again by this: use "Try the password again" for that.',
        'Force refresh',
        () => this.api!.acquire(true).then((r) => describeResult.acquire(r)),
      ),
    );
    action('action-refresh', () =>
      this.act(
        'Refresh tokens',
        'Refresh every active token now (refresh token first, password only if needed).',
        'Refresh',
        () => this.api!.refresh().then((r) => describeResult.refresh(r)),
      ),
    );
    action('action-validate', () =>
      this.act(
        'Validate tokens',
        'Check every active token against Microsoft Graph (GET /me).',
        'Validate',
        () => this.api!.validate().then((r) => describeResult.validate(r)),
      ),
    );
    action('action-cleanup', () =>
      this.act(
        'Clean up',
        'Deactivate expired tokens, delete inactive tokens and audit entries past their retention.',
        'Clean up',
        () => this.api!.cleanup().then((r) => describeResult.cleanup(r)),
      ),
    );
    action('action-sign-in-service', () => this.signInServiceAccount());
    action('action-retry-password', () =>
      this.act(
        'Try the password again',
        `Send the blocked password to Entra ID once more. ${this.blockedDescription} Only do this after fixing the cause shown under Blocked: each rejection counts towards the account's smart lockout, and after 3 rejections of the same password it is never sent again.`,
        'Send it once',
        () => this.api!.retryBlockedPassword().then((r) => describeResult.acquire(r)),
        'RETRY',
      ),
    );
    action('action-reload', async () => {
      this.clearMessages();
      await this.reload();
    });
    action('tokens-more', () => this.loadMore());
    // An empty month input renders as "--------- ----" in Chromium: start on the report's default, the
    // current UTC month, and offer no month after it.
    const month = byId<HTMLInputElement>('report-month');
    month.value = month.max = new Date().toISOString().slice(0, 7);
    byId('report-form').addEventListener('submit', (event) => {
      event.preventDefault();
      void this.showReport();
    });
    action('bulk-validate', () => {
      const ids = [...this.selected];
      return this.act(
        'Validate selected tokens',
        `Validate ${count(ids.length)} against Microsoft Graph.`,
        'Validate',
        () => this.api!.validate(ids).then((r) => describeResult.validate(r)),
      );
    });
    action('bulk-refresh', () => {
      const ids = [...this.selected];
      return this.act('Refresh selected tokens', `Refresh ${count(ids.length)} now.`, 'Refresh', () =>
        this.api!.refresh(ids).then((r) => describeResult.refresh(r)),
      );
    });
    action('bulk-deactivate', () => {
      const ids = [...this.selected];
      return this.act(
        'Deactivate selected tokens',
        `Deactivate ${count(ids.length)}. A deactivated token is never served again; acquire a new one afterwards.`,
        'Deactivate',
        () => this.deactivateAll(ids),
      );
    });
    byId<HTMLInputElement>('select-all').addEventListener('change', (event) => {
      const checked = (event.target as HTMLInputElement).checked;
      this.selected.clear();
      if (checked) for (const t of this.orderedTokens()) this.selected.add(t.id);
      this.renderTokens();
    });
    byId('tokens').addEventListener('change', (event) => {
      const box = event.target as HTMLInputElement;
      const id = box.dataset.id;
      if (!id) return;
      if (box.checked) this.selected.add(id);
      else this.selected.delete(id);
      this.updateSelection();
    });
  }

  /**
   * The delegated sign-in (docs/delegated.md): the function app starts it and returns Entra ID's URL;
   * the browser goes there, the administrator signs in *as the service account*, and Entra ID sends the
   * browser to /api/sign-in/callback, which redirects back here with `?sign_in=ok|failed`.
   */
  private async signInServiceAccount(): Promise<void> {
    if (this.busy || !this.api) return;
    const confirmed = await confirmDialog(
      'Sign in the service account',
      'You will be sent to the identity provider. Sign in as the service account (not as yourself), complete MFA, and you come back here. Any other account is refused and nothing is stored.',
      'Continue to sign-in',
    );
    if (!confirmed) return;
    this.clearMessages();
    this.setBusy(true);
    try {
      const started = await this.api.startServiceSignIn();
      window.location.assign(started.authorize_url);
    } catch (error) {
      this.showError(error);
      this.setBusy(false);
    }
  }

  /** The outcome the sign-in callback redirected back with, shown once and removed from the address. */
  showSignInOutcome(): void {
    const params = new URLSearchParams(window.location.search);
    const outcome = params.get('sign_in');
    if (!outcome) return;
    window.history.replaceState(null, '', window.location.pathname);
    if (outcome === 'ok') {
      this.showResult({
        ok: true,
        title: `Service account signed in${params.get('account') ? ` as ${params.get('account')}` : ''}: the delegated token is stored.`,
        lines: [],
      });
      return;
    }
    const code = params.get('code') ?? 'SIGN_IN_FAILED';
    this.showProblem(
      new ApiError({
        status: 0,
        title: 'Sign-in of the service account failed',
        detail: 'Nothing was stored.',
        code,
        hint: SIGN_IN_HINTS[code] ?? SIGN_IN_HINTS.SIGN_IN_FAILED!,
        correlation_id: null,
      }),
    );
  }

  /** Deactivates one by one and reports each; one failure does not stop the others. */
  private async deactivateAll(ids: string[]): Promise<ResultView> {
    const lines: ResultView['lines'] = [];
    let failed = 0;
    for (const id of ids) {
      try {
        const record = await this.api!.deactivate(id);
        lines.push({ text: `${record.id}: deactivated (${record.deactivation_reason ?? 'manual'})` });
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        // Every id failing the same way (403, 401, network) is one error, shown as such.
        if (ids.length === 1 || error.problem.status === 401 || error.problem.status === 403) throw error;
        failed++;
        lines.push({
          text: `${id}: ${error.problem.detail}`,
          code: error.problem.code,
          hint: error.problem.hint,
        });
      }
    }
    this.selected.clear();
    return { ok: failed === 0, title: `Deactivated ${ids.length - failed} of ${count(ids.length)}.`, lines };
  }

  /** Confirmation, then the call, then the result or the problem, then fresh data. */
  private async act(
    title: string,
    text: string,
    confirmLabel: string,
    run: () => Promise<ResultView>,
    typed?: string,
  ): Promise<void> {
    if (this.busy || !this.api) return;
    if (!(await confirmDialog(title, text, confirmLabel, typed))) return;
    this.clearMessages();
    this.setBusy(true);
    try {
      this.showResult(await run());
    } catch (error) {
      this.showError(error);
    } finally {
      // Fresh data first, then "not busy": whoever waits for the page to settle sees the new table.
      await this.reload();
      this.setBusy(false);
    }
  }

  private async reload(): Promise<void> {
    if (!this.api) return;
    try {
      const [status, list] = await Promise.all([this.api.status(), this.api.list()]);
      // The first page is fetched again; rows of later pages already loaded are kept (and updated
      // when they appear on the first page), so a reload never throws away what "Load more" fetched.
      const fresh = new Map(list.items.map((t) => [t.id, t]));
      const later = this.tokens.filter((t) => !fresh.has(t.id));
      const morePagesLoaded = this.tokens.length > list.items.length;
      this.tokens = [...list.items, ...(morePagesLoaded ? later : [])];
      if (!morePagesLoaded) this.continuation = list.continuation_token;
      this.current = status.current;
      const known = new Set(this.orderedTokens().map((t) => t.id));
      for (const id of this.selected) if (!known.has(id)) this.selected.delete(id);
      this.renderStatus(status);
      this.renderTokens();
      void showLastSyncs(this.api);
    } catch (error) {
      this.showError(error);
    }
  }

  private renderStatus(status: StatusReport): void {
    replace(byId('status-summary'), renderStatus(status, Date.now()));
    // The override is offered only while a block stands that an override may still lift.
    const block = status.blocked;
    this.blockedDescription = block
      ? `${block.description.charAt(0).toUpperCase()}${block.description.slice(1)}.`
      : '';
    byId('action-retry-password').hidden = !block || block.rejections >= 3;
    // The interactive sign-in is the delegated type's way to a token; a ropc service never needs it.
    const delegated = status.configuration.token_type === 'delegated';
    byId('action-sign-in-service').hidden = !delegated;
    byId('tokens-empty').textContent = delegated
      ? 'No tokens stored yet. Use "Sign in the service account" to get one.'
      : 'No tokens stored yet. Use Acquire to get one.';
    replace(byId('audit').querySelector('tbody')!, ...renderAudit(status.recent_audit));
  }

  private async loadMore(): Promise<void> {
    if (!this.api || this.continuation === null) return;
    const button = byId<HTMLButtonElement>('tokens-more');
    button.disabled = true;
    try {
      const page = await this.api.list(this.continuation);
      const known = new Set(this.tokens.map((t) => t.id));
      this.tokens.push(...page.items.filter((t) => !known.has(t.id)));
      this.continuation = page.continuation_token;
      this.renderTokens();
    } catch (error) {
      this.showError(error);
    } finally {
      button.disabled = false;
    }
  }

  /** The active token first, then the newest; the rows are built once per change, never per tick. */
  private orderedTokens(): TokenRecord[] {
    const current = this.current && (this.tokens.find((t) => t.id === this.current!.id) ?? this.current);
    const rest = this.tokens.filter((t) => t.id !== current?.id);
    rest.sort(
      (a, b) => Number(b.is_active) - Number(a.is_active) || b.created_at.localeCompare(a.created_at),
    );
    return current ? [current, ...rest] : rest;
  }

  private renderTokens(): void {
    const now = Date.now();
    const body = byId('tokens').querySelector('tbody')!;
    const ordered = this.orderedTokens();
    replace(body, ...ordered.map((t) => renderTokenRow(t, this.selected.has(t.id), now)));
    byId('tokens-empty').hidden = ordered.length > 0;
    byId('tokens-more').hidden = this.continuation === null;
    byId('tokens-count').textContent =
      ordered.length === 0
        ? ''
        : `${count(ordered.length)} shown${this.continuation === null ? '' : ', more stored'}`;
    this.updateSelection();
  }

  private async showReport(): Promise<void> {
    if (!this.api) return;
    const month = byId<HTMLInputElement>('report-month').value || undefined;
    const box = byId('report');
    box.setAttribute('aria-busy', 'true');
    try {
      renderReport(box, await this.api.report(month));
    } catch (error) {
      this.showError(error);
    } finally {
      box.setAttribute('aria-busy', 'false');
    }
  }

  private updateSelection(): void {
    const n = this.selected.size;
    const shown = this.orderedTokens().length;
    byId('selection-count').textContent = n === 0 ? 'No token selected' : `${count(n)} selected`;
    const all = byId<HTMLInputElement>('select-all');
    all.checked = n > 0 && n === shown;
    all.indeterminate = n > 0 && n < shown;
    this.updateButtons();
  }

  /** Read-only users see the buttons disabled; the API refuses them anyway (403). */
  private updateButtons(): void {
    for (const button of Array.from(document.querySelectorAll<HTMLButtonElement>('.admin-action'))) {
      const bulk = button.classList.contains('bulk-action');
      button.disabled = this.busy || !this.isAdmin || (bulk && this.selected.size === 0);
      if (!this.isAdmin) button.title = `Requires the ${ADMIN_ROLE} role`;
      else button.removeAttribute('title');
    }
    byId<HTMLButtonElement>('action-reload').disabled = this.busy;
  }

  private setBusy(busy: boolean): void {
    this.busy = busy;
    byId('main').setAttribute('aria-busy', String(busy));
    this.updateButtons();
  }

  /** Keeps "expires in" current between reloads. */
  private tick(): void {
    const now = Date.now();
    for (const cell of Array.from(document.querySelectorAll<HTMLElement>('[data-expires-at]'))) {
      cell.textContent = expiresIn(cell.dataset.expiresAt, now);
    }
  }

  private clearMessages(): void {
    byId('error').hidden = true;
    byId('result').hidden = true;
  }

  private showResult(result: ResultView): void {
    const box = byId('result');
    box.classList.toggle('partial', !result.ok);
    replace(
      box,
      h('p', { class: 'title' }, result.title),
      result.lines.length > 0
        ? h(
            'ul',
            {},
            ...result.lines.map((line) =>
              h(
                'li',
                {},
                line.text,
                line.code ? h('span', { class: 'code' }, ` [${line.code}]`) : null,
                line.hint ? h('span', { class: 'hint' }, `Hint: ${line.hint}`) : null,
              ),
            ),
          )
        : null,
    );
    box.hidden = false;
  }

  private showError(error: unknown): void {
    this.showProblem(error);
  }

  showProblem(error: unknown): void {
    const box = byId('error');
    const p =
      error instanceof ApiError
        ? error.problem
        : {
            status: 0,
            title: 'Unexpected error',
            detail: error instanceof Error ? error.message : String(error),
            code: 'PAGE_ERROR',
            hint: 'Reload the page; if it persists, check the browser console.',
            correlation_id: null,
          };
    replace(
      box,
      h(
        'p',
        { class: 'title' },
        h('span', { class: 'code' }, p.code),
        ` ${p.status ? `(${p.status} ${p.title})` : p.title}: ${p.detail}`,
      ),
      h('p', { class: 'hint' }, `Hint: ${p.hint}`),
      p.correlation_id ? h('p', { class: 'muted' }, `Correlation id: ${p.correlation_id}`) : null,
    );
    box.hidden = false;
    if (p.status === 401 && this.session) byId('user').textContent += ' · session expired, sign in again';
  }
}

/** What to do after a failed service-account sign-in (the callback passes the code only). */
const SIGN_IN_HINTS: Readonly<Record<string, string>> = {
  SIGN_IN_WRONG_ACCOUNT:
    'That was not the service account, so nothing was stored. Sign in again and pick the service account (use a private window if your own account is signed in).',
  SIGN_IN_DECLINED: 'The sign-in was cancelled at the identity provider. Start it again.',
  SIGN_IN_EXPIRED: 'The sign-in took too long (10 minutes). Start it again.',
  SIGN_IN_STATE_INVALID:
    'This answer does not belong to a sign-in started here in this browser. Start it again from this page.',
  SIGN_IN_FAILED:
    'The identity provider refused to redeem the sign-in. Check the app registration (redirect URI /api/sign-in/callback, platform Web) and the function app log, then try again.',
};

function count(n: number): string {
  return `${n} token${n === 1 ? '' : 's'}`;
}

/** A modal `<dialog>`: focus moves into it, Escape cancels, focus returns to the button afterwards. */
function confirmDialog(title: string, text: string, confirmLabel: string, typed?: string): Promise<boolean> {
  const dialog = byId<HTMLDialogElement>('confirm');
  const ok = byId<HTMLButtonElement>('confirm-ok');
  const cancel = byId<HTMLButtonElement>('confirm-cancel');
  const typedRow = byId('confirm-typed-row');
  const typedInput = byId<HTMLInputElement>('confirm-typed');
  byId('confirm-title').textContent = title;
  byId('confirm-text').textContent = text;
  ok.textContent = confirmLabel;
  // A typed confirmation for actions that can hurt (a rejected password sent again): OK stays disabled
  // until the word is typed exactly.
  typedRow.hidden = typed === undefined;
  typedInput.value = '';
  byId('confirm-typed-word').textContent = typed ?? '';
  ok.disabled = typed !== undefined;
  const onInput = (): void => {
    ok.disabled = typedInput.value !== typed;
  };
  typedInput.addEventListener('input', onInput);
  const opener = document.activeElement as HTMLElement | null;
  return new Promise((resolve) => {
    const finish = (answer: boolean): void => {
      typedInput.removeEventListener('input', onInput);
      ok.disabled = false;
      ok.removeEventListener('click', onOk);
      cancel.removeEventListener('click', onCancel);
      dialog.removeEventListener('close', onClose);
      if (dialog.open) dialog.close();
      opener?.focus();
      resolve(answer);
    };
    const onOk = (): void => finish(typed === undefined || typedInput.value === typed);
    const onCancel = (): void => finish(false);
    const onClose = (): void => finish(false);
    ok.addEventListener('click', onOk);
    cancel.addEventListener('click', onCancel);
    dialog.addEventListener('close', onClose);
    dialog.showModal();
    cancel.focus();
  });
}

async function loadConfig(): Promise<AdminConfig> {
  const response = await fetch(`${ADMIN_BASE}/config.json`, { cache: 'no-store', credentials: 'omit' });
  return readResponse<AdminConfig>(response, 'GET /api/admin/config.json');
}

async function boot(): Promise<void> {
  let config: AdminConfig;
  try {
    config = await loadConfig();
  } catch (error) {
    byId('loading').hidden = true;
    new AdminPage(new DevAuth(ADMIN_BASE)).showProblem(error);
    return;
  }
  if (config.mode === 'sandbox') {
    await new AdminPage(new DevAuth(ADMIN_BASE)).start(config);
    return;
  }
  const missing = !config.clientId ? 'ADMIN_CLIENT_ID' : config.scopes.length === 0 ? 'API_AUDIENCE' : null;
  if (missing !== null || !config.clientId) {
    byId('loading').hidden = true;
    new AdminPage(new DevAuth(ADMIN_BASE)).showProblem(
      new ApiError({
        status: 0,
        title: 'Sign-in not configured',
        detail: `${missing} is not set, so the page cannot sign you in with Entra ID.`,
        code: 'ADMIN_SIGN_IN_NOT_CONFIGURED',
        hint:
          missing === 'ADMIN_CLIENT_ID'
            ? 'Register a single-page application (redirect URI https://<app>/api/admin/redirect.html), set ADMIN_CLIENT_ID to its client id in the app settings, and reload.'
            : "Set API_AUDIENCE to the API's application ID URI (the page asks for <API_AUDIENCE>/.default) and reload.",
        correlation_id: null,
      }),
    );
    return;
  }
  const auth = new EntraAuth(
    { ...config, clientId: config.clientId },
    `${location.origin}${ADMIN_BASE}/redirect.html`,
  );
  await new AdminPage(auth).start(config);
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', () => void boot());
else void boot();
