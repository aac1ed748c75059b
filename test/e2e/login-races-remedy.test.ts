/**
 * Issue 17, item 1 — remedies are final (SPEC §5.2): a burst of 20 parallel logins, spread over two
 * instances and many client addresses, each repeated until the remedy has answered, and the remedy
 * (an admin disable, an admin password reset, the owner's password change) committed while they
 * are in flight. Whatever
 * each login answered, no session it returned may be alive afterwards: its access token is refused
 * by /token/validate and inactive on introspection, its refresh token does not refresh and is
 * inactive — on both instances. Only the changer's own re-issued session lives on. Run on one
 * SQLite file and on one PostgreSQL database (two instances each).
 *
 * Outcomes only: no timing is asserted. Logins are always in flight when the remedy commits (that
 * is where they used to slip through: read the user, check the password slowly, create the session).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Cluster, type ClusterBackend } from '../support/cluster.js';
import {
  type JsonResponse,
  type LoginResult,
  createUserViaAdmin,
  introspect,
  login,
  request,
} from '../support/http-client.js';
import type { ServerProcess } from '../support/server-process.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD } from '../support/server-process.js';
import { until } from '../support/until.js';

const PASSWORD = 'Quartz herons whistle 9 midnight sonatas';
const NEW_PASSWORD = 'Velvet glaciers hum 3 forgotten lullabies';
const BURST = 20;
type Client = { client_id: string; client_secret: string };

for (const backend of ['sqlite', 'postgres'] as const satisfies readonly ClusterBackend[]) {
  describe(`a login in flight does not outlive a remedy (${backend}, two instances)`, () => {
    let cluster: Cluster;
    let instances: ServerProcess[];
    let admin: string;
    let client: Client;

    before(async () => {
      cluster = await Cluster.start({
        label: `login_race_${backend}`,
        instances: 2,
        backend,
        // The burst comes from many addresses (X-Forwarded-For through the trusted proxy), but the
        // refused logins after each remedy still count: keep the limits out of the way.
        env: {
          REVOKD_RATE_LIMIT_LOGIN_PER_MINUTE: '0',
          REVOKD_RATE_LIMIT_REFRESH_PER_MINUTE: '0',
          REVOKD_RATE_LIMIT_BEARER_PER_MINUTE: '0',
          REVOKD_LOGIN_FAILURES_PER_USER_AND_IP: '100000',
          REVOKD_ALERT_FAILED_LOGINS_PER_IP: '1000000',
          REVOKD_ALERT_FAILED_LOGINS_PER_USER: '100000',
        },
      });
      instances = [cluster.instance(0), cluster.instance(1)];
      admin = (await login(instances[0]!.url, ADMIN_EMAIL, ADMIN_PASSWORD)).access_token;
      const created = await cluster.cli([
        'client',
        'create',
        '--name',
        'resource-server',
        '--json',
      ]);
      assert.equal(created.code, 0, created.stderr);
      client = JSON.parse(created.stdout) as Client;
    });
    after(async () => {
      await cluster?.stop();
    });

    /**
     * BURST parallel logins (alternating instances, each from its own address), each repeated as
     * soon as it answers, so that some are always between reading the user and creating the session
     * when the remedy commits — whatever the remedy's own duration (a reset or a change hashes and
     * scores the new password first). The remedy is sent once the first login has answered; a
     * repeating login stops once the remedy has answered or it was refused. Resolves with every
     * login's answer and the remedy's.
     */
    async function burstAround(
      email: string,
      remedy: () => Promise<JsonResponse>,
    ): Promise<{ logins: JsonResponse<LoginResult>[]; remedy: JsonResponse }> {
      let startRemedy!: () => void;
      const firstAnswer = new Promise<void>((resolve) => {
        startRemedy = resolve;
      });
      let remedyAnswered = false;
      const remedied = firstAnswer.then(remedy).finally(() => {
        remedyAnswered = true;
      });
      const answers: JsonResponse<LoginResult>[] = [];
      const repeatLogin = async (i: number): Promise<void> => {
        for (;;) {
          const res = await request<LoginResult>(`${instances[i % 2]!.url}/api/v1/auth/login`, {
            method: 'POST',
            json: { email, password: PASSWORD },
            headers: { 'x-forwarded-for': `198.51.100.${i + 1}` },
          });
          answers.push(res);
          startRemedy();
          if (remedyAnswered || res.status !== 200) return;
        }
      };
      await Promise.all(Array.from({ length: BURST }, (_, i) => repeatLogin(i)));
      return { logins: answers, remedy: await remedied };
    }

    /** Every way a session shows it is alive, asked of both instances, until each says dead (a live one never does). */
    async function assertDead(session: LoginResult, label: string): Promise<void> {
      for (const server of instances) {
        await until(`${label}: access token refused by ${server.url}`, async () =>
          (
            await request(`${server.url}/api/v1/auth/token/validate`, {
              bearer: session.access_token,
            })
          ).status === 401
            ? true
            : undefined,
        );
        await until(`${label}: access token inactive on ${server.url}`, async () =>
          (await introspect(server.url, client, session.access_token)).text === '{"active":false}'
            ? true
            : undefined,
        );
        await until(`${label}: refresh token inactive on ${server.url}`, async () =>
          (await introspect(server.url, client, session.refresh_token)).text === '{"active":false}'
            ? true
            : undefined,
        );
      }
      // Tried last (a refusal consumes nothing; a success would rotate it).
      for (const server of instances) {
        const refreshed = await request(`${server.url}/api/v1/auth/refresh`, {
          method: 'POST',
          json: { refresh_token: session.refresh_token },
        });
        assert.equal(
          refreshed.status,
          401,
          `${label}: the refresh token refreshed on ${server.url}: ${refreshed.text}`,
        );
      }
    }

    /** Each login either succeeded (and must now be dead) or was refused like any bad password; none failed otherwise. */
    async function assertNoneLive(logins: readonly JsonResponse<LoginResult>[]): Promise<number> {
      for (const res of logins)
        assert.ok(
          res.status === 200 ||
            (res.status === 401 &&
              (res.body as unknown as { error?: string }).error === 'invalid_credentials'),
          `a login answered ${res.status} ${res.text}`,
        );
      const returned = logins.filter((res) => res.status === 200).map((res) => res.body);
      for (const [i, session] of returned.entries())
        await assertDead(session, `session ${i + 1} of ${returned.length} returned by the burst`);
      return returned.length;
    }

    test('an admin disable: no session from the burst survives', async () => {
      const email = `disabled-${backend}@example.com`;
      const { id } = await createUserViaAdmin(instances[0]!.url, admin, email, PASSWORD);
      const { logins, remedy } = await burstAround(email, () =>
        request(`${instances[0]!.url}/api/v1/admin/users/${id}/disable`, {
          method: 'POST',
          bearer: admin,
        }),
      );
      assert.equal(remedy.status, 200, remedy.text);
      await assertNoneLive(logins);
    });

    test('an admin password reset: no session from the burst survives', async () => {
      const email = `reset-${backend}@example.com`;
      const { id } = await createUserViaAdmin(instances[0]!.url, admin, email, PASSWORD);
      const { logins, remedy } = await burstAround(email, () =>
        request(`${instances[1]!.url}/api/v1/admin/users/${id}/password`, {
          method: 'POST',
          bearer: admin,
          json: { new_password: NEW_PASSWORD },
        }),
      );
      assert.equal(remedy.status, 200, remedy.text);
      await assertNoneLive(logins);
      // The new password signs in (the remedy did not lock the user out).
      await login(instances[1]!.url, email, NEW_PASSWORD);
    });

    test("the owner's password change: no session from the burst survives; the changer's own is re-issued and lives", async () => {
      const email = `changer-${backend}@example.com`;
      await createUserViaAdmin(instances[0]!.url, admin, email, PASSWORD);
      const changer = await login(instances[0]!.url, email, PASSWORD, {
        'x-forwarded-for': '203.0.113.9',
      });
      const { logins, remedy } = await burstAround(email, () =>
        request(`${instances[0]!.url}/api/v1/auth/password`, {
          method: 'POST',
          bearer: changer.access_token,
          json: { current_password: PASSWORD, new_password: NEW_PASSWORD },
        }),
      );
      await assertNoneLive(logins);
      assert.equal(remedy.status, 200, remedy.text);
      const reissued = remedy.body as LoginResult;
      assert.equal(reissued.session_id, changer.session_id, 'the same session, re-issued');
      // The tokens the changer presented are covered by the change too; the new ones work everywhere.
      await assertDead(changer, "the changer's tokens from before the change");
      for (const server of instances) {
        await until(`the re-issued access token accepted by ${server.url}`, async () =>
          (
            await request(`${server.url}/api/v1/auth/token/validate`, {
              bearer: reissued.access_token,
            })
          ).status === 200
            ? true
            : undefined,
        );
      }
      const rotated = await request(`${instances[1]!.url}/api/v1/auth/refresh`, {
        method: 'POST',
        json: { refresh_token: reissued.refresh_token },
      });
      assert.equal(rotated.status, 200, rotated.text);
      assert.equal(rotated.body.session_id, changer.session_id);
    });
  });
}
