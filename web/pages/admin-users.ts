/** Security console — users: search, and revoke everything a user holds (reason required, previewed). */
import { badge, emptyState, pageHeader, time } from '../components.js';
import { type SafeHtml, html } from '../html.js';
import { type Flash, type Viewer, page } from '../layout.js';
import { pager } from './pager.js';

export interface UserRow {
  readonly id: string;
  readonly email: string;
  readonly role: 'user' | 'admin';
  readonly createdAtMs: number;
  readonly disabledAtMs: number | null;
  readonly isDecoy: boolean;
  readonly liveSessions: number;
  readonly liveApiTokens: number;
}

export interface UsersView {
  readonly users: readonly UserRow[];
  readonly search: string;
  readonly offset: number;
  readonly pageSize: number;
  readonly hasMore: boolean;
  readonly flash?: Flash | undefined;
}

function userRow(u: UserRow): SafeHtml {
  const state =
    u.disabledAtMs !== null
      ? badge('Disabled', 'neutral')
      : u.isDecoy
        ? badge('Decoy', 'warning')
        : badge('Active', 'success');
  return html`<tr>
    <td data-label="User" class="cell-primary"><span class="strong">${u.email}</span><div class="muted small mono">${u.id}</div></td>
    <td data-label="Role">${u.role === 'admin' ? badge('admin', 'accent') : badge('user')}</td>
    <td data-label="Status">${state}</td>
    <td data-label="Sessions">${u.liveSessions}</td>
    <td data-label="API tokens">${u.liveApiTokens}</td>
    <td data-label="Created">${time(u.createdAtMs)}</td>
    <td class="cell-actions"><a class="btn btn-small btn-danger-outline" href="/admin/users/${u.id}/revoke" aria-label="Revoke everything ${u.email} holds">Revoke all…</a></td>
  </tr>`;
}

export function adminUsersPage(viewer: Viewer, view: UsersView): SafeHtml {
  const query = (offset: number) =>
    `/admin/users?${new URLSearchParams({ ...(view.search === '' ? {} : { q: view.search }), offset: String(offset) })}`;
  return page({
    title: 'Users',
    viewer,
    section: 'admin-users',
    flash: view.flash,
    body: html`
      ${pageHeader('Users', 'Find an account and revoke everything it holds: sessions, refresh tokens, access tokens and API tokens.')}
      <section class="card card-flush" aria-label="Users">
        <form method="get" action="/admin/users" class="toolbar" role="search">
          <div class="field field-grow">
            <label for="user-search">Search by email</label>
            <input id="user-search" name="q" type="search" value="${view.search}" maxlength="254" placeholder="alice@example.com">
          </div>
          <div class="field field-submit"><button type="submit" class="btn btn-secondary">Search</button></div>
        </form>
        ${
          view.users.length === 0
            ? emptyState(
                'No users found',
                view.search === ''
                  ? 'There are no users yet.'
                  : html`Nothing matches “${view.search}”.`,
              )
            : html`
        <table class="table responsive">
          <thead><tr><th scope="col">User</th><th scope="col">Role</th><th scope="col">Status</th><th scope="col">Live sessions</th><th scope="col">Active API tokens</th><th scope="col">Created</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
          <tbody>${view.users.map(userRow)}</tbody>
        </table>`
        }
        ${pager({ offset: view.offset, pageSize: view.pageSize, shown: view.users.length, hasMore: view.hasMore, href: query, label: 'Users pages' })}
      </section>`,
  });
}
