// `@azure/msal-browser/redirect-bridge` is only reachable through the package's `exports` map, which the
// project's `node10` module resolution does not read; esbuild (which bundles the page) does.
declare module '@azure/msal-browser/redirect-bridge' {
  export function broadcastResponseToMainFrame(): Promise<void>;
}
