// The demo's three pages — sign-in, code, signed-in user — as small HTML strings.
const escape = (text) =>
  String(text ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c])

const ERRORS = {
  Verification: 'That code is wrong, used or expired. Ask for a new one.',
  default: 'Sign-in failed. Check the email address and try again.',
}

function page(title, body) {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(title)} · ChatBotKit NextAuth demo</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  body { font: 16px/1.5 system-ui, sans-serif; background: #f4f5f7; color: #1d2330; margin: 0 }
  main { max-width: 26rem; margin: 4rem auto; background: #fff; padding: 2rem; border-radius: 12px; box-shadow: 0 2px 12px #0001 }
  h1 { font-size: 1.4rem; margin-top: 0 } label { display: block; margin: 1rem 0 .3rem; font-weight: 600 }
  input { width: 100%; box-sizing: border-box; padding: .6rem; font-size: 1rem; border: 1px solid #c8ccd4; border-radius: 6px }
  input[name=token] { font-family: ui-monospace, monospace; letter-spacing: .4em; text-align: center }
  button { margin-top: 1.2rem; width: 100%; padding: .7rem; font-size: 1rem; border: 0; border-radius: 6px; background: #3b5bdb; color: #fff; cursor: pointer }
  .error { background: #fff0f0; color: #a61b1b; padding: .6rem .8rem; border-radius: 6px }
  .hint { color: #5c6370; font-size: .9rem } dl { display: grid; grid-template-columns: auto 1fr; gap: .3rem 1rem }
  dt { color: #5c6370 } dd { margin: 0; word-break: break-all } img { width: 64px; height: 64px; border-radius: 50% }
</style></head><body><main>${body}</main></body></html>`
}

export function signInPage({ csrfToken, error, email = '' }) {
  return page(
    'Sign in',
    `<h1>Sign in</h1>
    ${error ? `<p class="error" role="alert">${escape(ERRORS[error] ?? ERRORS.default)}</p>` : ''}
    <form method="post" action="/signin">
      <input type="hidden" name="csrfToken" value="${escape(csrfToken)}">
      <label for="email">Email</label>
      <input id="email" name="email" type="email" required autofocus value="${escape(email)}">
      <button type="submit">Email me a code</button>
    </form>
    <p class="hint">The demo prints the code in the terminal that runs <code>npm run demo</code>.</p>`,
  )
}

export function codePage({ email }) {
  return page(
    'Enter your code',
    `<h1>Check your email</h1>
    <p>We sent a 6-character code to <strong>${escape(email)}</strong>.</p>
    <form method="get" action="/api/auth/callback/email">
      <input type="hidden" name="email" value="${escape(email)}">
      <input type="hidden" name="callbackUrl" value="/">
      <label for="token">Code</label>
      <input id="token" name="token" required minlength="6" maxlength="6" autocomplete="one-time-code" autofocus>
      <button type="submit">Sign in</button>
    </form>`,
  )
}

export function userPage({ user, csrfToken }) {
  const rows = ['id', 'name', 'email', 'createdAt']
    .filter((key) => user[key] !== undefined)
    .map((key) => `<dt>${key}</dt><dd>${escape(key === 'createdAt' ? new Date(user[key]).toISOString() : user[key])}</dd>`)
    .join('')
  return page(
    'Signed in',
    `<h1>Signed in</h1>
    ${user.image ? `<img src="${escape(user.image)}" alt="">` : ''}
    <p>You are signed in as this ChatBotKit partner user:</p>
    <dl id="user">${rows}</dl>
    <form method="post" action="/api/auth/signout">
      <input type="hidden" name="csrfToken" value="${escape(csrfToken)}">
      <input type="hidden" name="callbackUrl" value="/">
      <button type="submit">Sign out</button>
    </form>`,
  )
}
