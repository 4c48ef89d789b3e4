// Dashboard (browser): the single-page app — login (admin token, or #token=… once), hash routes to the pages, each page torn down on leave.
import { setToken, token, tokenIsValid, whenUnauthorized } from './api.js';
import { h, fill } from './dom.js';

const PAGES = {
  graph: () => import('./graph.js'),
  services: () => import('./service.js'),
  service: () => import('./service.js'),
  workload: () => import('./service.js'),
  config: () => import('./config.js'),
  proxies: () => import('./proxies.js'),
  tap: () => import('./tap.js'),
};

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const logout = document.getElementById('logout');
/** The stop function of the page on screen (timers, streams). */
let current = () => {};
/** Where to go after login. */
let wanted = '#/graph';

/** `#token=…` (how `trellis dashboard` would open the UI): taken once, then removed from the address bar and history. */
function takeTokenFromUrl() {
  const m = /^#token=([^&]*)/.exec(location.hash);
  if (m === null) return;
  setToken(decodeURIComponent(m[1]));
  history.replaceState(null, '', `${location.pathname}${location.search}#/graph`);
}

function stopPage() {
  try {
    current();
  } catch (e) {
    console.error(e);
  }
  current = () => {};
}

function showLogin(message) {
  stopPage();
  nav.hidden = true;
  logout.hidden = true;
  if (location.hash !== '' && location.hash !== '#/login') wanted = location.hash;
  const input = h('input', { type: 'password', id: 'token', name: 'token', autocomplete: 'off', placeholder: 'admin token', required: true });
  const error = h('p', { class: 'login-error', role: 'alert' }, message ?? '');
  const form = h(
    'form',
    { class: 'login', id: 'login' },
    h('h1', {}, 'Sign in'),
    h('p', {}, 'Paste the admin token: the file ', h('code', {}, '<data-dir>/admin-token'), ' that ', h('code', {}, 'trellis control'), ' names when it starts.'),
    input,
    h('button', { type: 'submit' }, 'Sign in'),
    error,
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const t = input.value.trim();
    if (t === '') return;
    if (await tokenIsValid(t)) {
      setToken(t);
      location.hash = wanted === '#/login' ? '#/graph' : wanted;
      route();
    } else {
      error.textContent = 'That token was refused.';
    }
  });
  fill(main, form);
  input.focus();
}

async function route() {
  if (token() === null) {
    showLogin();
    return;
  }
  const parts = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  const name = parts[0] === '' || !(parts[0] in PAGES) ? 'graph' : parts[0];
  stopPage();
  nav.hidden = false;
  logout.hidden = false;
  for (const a of nav.querySelectorAll('a')) a.classList.toggle('active', a.dataset.page === name || (a.dataset.page === 'services' && (name === 'service' || name === 'workload')));
  const container = h('section', { class: `page page-${name}` });
  fill(main, container);
  const mod = await PAGES[name]();
  // a later navigation may have happened while the module loaded
  if (!main.contains(container)) return;
  const stop = mod.mount(container, { page: name, args: parts.slice(1) });
  current = typeof stop === 'function' ? stop : () => {};
}

whenUnauthorized(() => {
  setToken(null);
  showLogin('The token was refused (401): sign in again.');
});

logout.addEventListener('click', () => {
  setToken(null);
  wanted = '#/graph';
  location.hash = '#/login';
  showLogin();
});

takeTokenFromUrl();
window.addEventListener('hashchange', () => {
  if (location.hash.startsWith('#token=')) takeTokenFromUrl();
  void route();
});
void route();
