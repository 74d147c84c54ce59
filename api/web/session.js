// A new tab of the same browser takes the session of a tab already signed
// in: the token lives in sessionStorage (one per tab, gone with the browser),
// and a county officer opens lists and files in new tabs all day. Tabs of
// the same page ask each other over a BroadcastChannel, which never leaves
// the browser; nothing goes to localStorage.

import { TOKEN_KEY, USER_KEY } from './state.js';

const channel = 'BroadcastChannel' in window ? new BroadcastChannel('studentaid.session') : null;

// shareSession answers other tabs' questions with this tab's session.
export function shareSession() {
  if (!channel) return;
  channel.addEventListener('message', (ev) => {
    if (ev.data !== 'ask') return;
    const token = sessionStorage.getItem(TOKEN_KEY);
    const user = sessionStorage.getItem(USER_KEY);
    if (token && user) channel.postMessage({ token, user });
  });
}

// borrowSession asks the open tabs for a session and keeps the first answer;
// false when no tab answers in time (nobody is signed in).
export function borrowSession(wait = 400) {
  if (!channel) return Promise.resolve(false);
  return new Promise((resolve) => {
    const timer = setTimeout(() => { channel.removeEventListener('message', take); resolve(false); }, wait);
    function take(ev) {
      if (!ev.data || !ev.data.token) return;
      clearTimeout(timer);
      channel.removeEventListener('message', take);
      sessionStorage.setItem(TOKEN_KEY, ev.data.token);
      sessionStorage.setItem(USER_KEY, ev.data.user);
      resolve(true);
    }
    channel.addEventListener('message', take);
    channel.postMessage('ask');
  });
}
