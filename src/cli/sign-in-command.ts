/**
 * `graph-tokens sign-in [--device-code]`: the delegated sign-in of the service account from a terminal
 * (docs/delegated.md). Without `--device-code` it runs the browser flow with a loopback redirect, as
 * `az login` does: it listens on localhost, prints the authorization URL (and opens a browser when it
 * can), and redeems the code the browser brings back. With `--device-code` it prints the identity
 * provider's message (URL and code) and waits until the code is approved or expires.
 */
import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Command } from 'commander';
import type { TokenServiceApi } from '../lib/api';
import { ERRORS, GraphTokenError, sanitize } from '../lib/errors';
import { pkcePair, randomToken } from '../lib/service/signIn';
import type { OperationContext, SignInResult } from '../lib/types';
import { type CliDeps, type CommonOptions, runServiceCommand } from './context';
import type { ExitCode } from './failure';
import { expiresIn, fields } from '../lib/format';
import { integer, withCommonOptions } from './options';

interface SignInOptions extends CommonOptions {
  deviceCode?: boolean;
  browser?: boolean;
  timeout: number;
}

export function registerSignInCommand(program: Command, deps: CliDeps, done: (code: ExitCode) => void): void {
  withCommonOptions(
    program
      .command('sign-in')
      .description(
        'sign the service account in for the delegated token type (MFA and Conditional Access apply); ' +
          'the service then lives on refresh tokens and stores no password',
      )
      .option('--device-code', 'use the device code flow (for a machine without a browser)')
      .option('--no-browser', 'only print the sign-in URL, do not try to open a browser')
      .option('--timeout <seconds>', 'give up after this many seconds', integer(10, 3600), 600)
      .addHelpText(
        'after',
        `
Sign in as the service account (GRAPH_USERNAME), not as yourself: any other account is refused
(SIGN_IN_WRONG_ACCOUNT) and nothing is stored. Exits 0 once the token is stored, 1 with a code and hint
when the sign-in expires, is declined or is the wrong account.

Examples:
  graph-tokens sign-in
  graph-tokens sign-in --device-code --json`,
      ),
  ).action(async (options: SignInOptions) => {
    done(
      await runServiceCommand(deps, options, {
        progress: options.deviceCode
          ? 'Waiting for the device code sign-in'
          : 'Waiting for the browser sign-in',
        run: (service, ctx) =>
          options.deviceCode
            ? deviceCode(deps, service, options, ctx)
            : loopback(deps, service, options, ctx),
        render: renderSignIn,
      }),
    );
  });
}

function deviceCode(
  deps: CliDeps,
  service: TokenServiceApi,
  options: SignInOptions,
  ctx: OperationContext,
): Promise<SignInResult> {
  return service.signInWithDeviceCode(
    {
      // The identity provider's own sentence (URL and code) — what an operator expects from `az login`.
      onPrompt: (prompt) =>
        deps.stderr.write(
          `${prompt.message}\nSign in as ${service.config.username}. Waiting up to ${Math.min(options.timeout, prompt.expiresInSeconds)} s…\n`,
        ),
      timeoutSeconds: options.timeout,
    },
    ctx,
  );
}

async function loopback(
  deps: CliDeps,
  service: TokenServiceApi,
  options: SignInOptions,
  ctx: OperationContext,
): Promise<SignInResult> {
  const state = randomToken();
  const nonce = randomToken(16);
  const { verifier, challenge } = pkcePair();
  const listener = await listenOnLoopback();
  try {
    const redirectUri = `http://localhost:${listener.port}/`;
    const url = await service.signInUrl({ redirectUri, state, nonce, codeChallenge: challenge });
    deps.stderr.write(
      `Open this URL in a browser and sign in as ${service.config.username}:\n\n  ${url}\n\nWaiting up to ${options.timeout} s for the sign-in…\n`,
    );
    if (options.browser !== false) openBrowser(url);
    const answer = await listener.next(options.timeout * 1000);
    try {
      if (answer.params.get('state') !== state) {
        throw new GraphTokenError(ERRORS.SIGN_IN_STATE_INVALID, 'The browser brought back another sign-in');
      }
      const error = answer.params.get('error');
      if (error) {
        const declined = /access_denied|consent_required/i.test(error);
        throw new GraphTokenError(
          declined ? ERRORS.SIGN_IN_DECLINED : ERRORS.SIGN_IN_FAILED,
          `The identity provider answered ${sanitize(error).slice(0, 64)}: ${sanitize(answer.params.get('error_description') ?? '').slice(0, 300)}`,
        );
      }
      const code = answer.params.get('code');
      if (!code) throw new GraphTokenError(ERRORS.SIGN_IN_STATE_INVALID, 'The browser brought back no code');
      const result = await service.redeemSignIn({ code, redirectUri, codeVerifier: verifier, nonce }, ctx);
      answer.respond(200, `Signed in as ${result.account}. You can close this window.`);
      return result;
    } catch (error) {
      const e = error instanceof GraphTokenError ? error : undefined;
      answer.respond(400, `Sign-in failed${e ? ` (${e.code})` : ''}. See the terminal for what to do.`);
      throw error;
    }
  } finally {
    listener.close();
  }
}

interface Answer {
  params: URLSearchParams;
  respond(status: number, text: string): void;
}

/** One redirect on http://localhost:<port>/, on 127.0.0.1 and ::1 (whichever `localhost` resolves to). */
async function listenOnLoopback(): Promise<{
  port: number;
  next(ms: number): Promise<Answer>;
  close(): void;
}> {
  let deliver: ((answer: Answer) => void) | undefined;
  const pending: Answer[] = [];
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (
      req.method !== 'GET' ||
      url.pathname !== '/' ||
      (!url.searchParams.has('code') && !url.searchParams.has('error'))
    ) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found');
      return;
    }
    const answer: Answer = {
      params: url.searchParams,
      respond: (status, text) => {
        if (res.writableEnded) return;
        res
          .writeHead(status, {
            'content-type': 'text/html; charset=utf-8',
            'cache-control': 'no-store',
            'content-security-policy': "default-src 'none'",
          })
          .end(
            `<!doctype html><meta charset="utf-8"><title>graph-tokens sign-in</title><p>${escapeHtml(text)}</p>`,
          );
      },
    };
    if (deliver) deliver(answer);
    else pending.push(answer);
  };
  const servers: Server[] = [];
  const first = createServer(handler);
  await new Promise<void>((resolve, reject) => {
    first.once('error', reject);
    first.listen(0, '127.0.0.1', () => resolve());
  });
  servers.push(first);
  const port = (first.address() as AddressInfo).port;
  const second = createServer(handler);
  await new Promise<void>((resolve) => {
    second.once('error', () => resolve()); // no IPv6 loopback here: 127.0.0.1 alone will do
    second.listen(port, '::1', () => {
      servers.push(second);
      resolve();
    });
  });
  return {
    port,
    next: (ms) =>
      new Promise<Answer>((resolve, reject) => {
        const queued = pending.shift();
        if (queued) return resolve(queued);
        const timer = setTimeout(() => {
          deliver = undefined;
          reject(
            new GraphTokenError(
              ERRORS.SIGN_IN_EXPIRED,
              `No sign-in came back within ${Math.round(ms / 1000)} s`,
            ),
          );
        }, ms);
        deliver = (answer) => {
          clearTimeout(timer);
          deliver = undefined;
          resolve(answer);
        };
      }),
    close: () => {
      for (const server of servers) {
        server.closeAllConnections();
        server.close();
      }
    },
  };
}

/** Best effort, only on an interactive terminal; the URL is always printed. */
function openBrowser(url: string): void {
  if (!process.stdout.isTTY) return;
  const [command, args] =
    process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['cmd', ['/c', 'start', '""', url]]
        : ['xdg-open', [url]];
  try {
    const child = spawn(command, args, { stdio: 'ignore', detached: true });
    child.on('error', () => undefined);
    child.unref();
  } catch {
    // no browser: the printed URL is the way
  }
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function renderSignIn(result: SignInResult, now: number): string {
  const t = result.token;
  return fields([
    ['Signed in', `${result.account} (delegated)`],
    ['Token', `${t.id}, expires ${t.expires_at} (${expiresIn(t.expires_at, now)})`],
    ['Scopes', t.scopes.join(' ')],
    ['Next', 'stored encrypted; the service now renews it with refresh tokens (no password)'],
  ]);
}
