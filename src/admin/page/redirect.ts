/**
 * The redirect page of the Entra ID sign-in (MSAL Browser v5's "redirect bridge"): it receives the
 * authorization response and hands it back to the admin page, which finishes the code + PKCE exchange.
 */
import { broadcastResponseToMainFrame } from '@azure/msal-browser/redirect-bridge';

broadcastResponseToMainFrame().catch(() => {
  const message = document.getElementById('message');
  if (message)
    message.textContent = 'Sign-in could not be completed. Go back to the admin page and sign in again.';
});
