import { Injectable, Logger } from '@nestjs/common';
import * as argon2 from 'argon2';
import { checkPassword, normaliseUsername } from '../domain/accounts';
import { IdentityRepository } from '../infrastructure/identity.repository';
import { actingFor, GatewayUnitOfWork } from '../infrastructure/gateway.unit-of-work';
import { AuditLog } from './audit-log';
import { hashOneTimePassword, newOneTimePassword } from './secrets';

/** The first start of a platform: the HQ admin, so that somebody can sign in at all. */
@Injectable()
export class InitialAdmin {
  private readonly logger = new Logger('Identity');

  constructor(
    private readonly repository: IdentityRepository,
    private readonly audit: AuditLog,
    private readonly unitOfWork: GatewayUnitOfWork,
  ) {}

  /**
   * On first start (no account at all) creates the HQ admin: password from UNIONFED_ADMIN_PASSWORD, or a
   * one-time password printed once that must be changed at first sign-in.
   */
  async ensure(env: NodeJS.ProcessEnv = process.env): Promise<void> {
    if ((await this.repository.countAccounts()) > 0) return;
    const username = normaliseUsername(env.UNIONFED_ADMIN_USERNAME ?? 'admin');
    const given = env.UNIONFED_ADMIN_PASSWORD;
    const password = given ?? newOneTimePassword(username);
    if (given) {
      try {
        checkPassword(given, username);
      } catch (error) {
        // said as the start's reason (tools/platform/start.ts prints it as one line)
        throw new Error(`UNIONFED_ADMIN_PASSWORD is refused: ${(error as Error).message}`);
      }
    }
    const created = await this.unitOfWork.run(actingFor(undefined), async (work) => {
      const { manager } = work;
      await manager.query(`LOCK TABLE account IN SHARE ROW EXCLUSIVE MODE`);
      const [{ n }] = await manager.query(`SELECT count(*)::int AS n FROM account`);
      if (n > 0) return false;
      const id = await this.repository.insertAccount(manager, {
        username,
        displayName: '校工会管理员',
        passwordHash: given ? await argon2.hash(given) : await hashOneTimePassword(password),
        mustChangePassword: !given,
        memberId: null,
      });
      await this.repository.addGrant(manager, id, { role: 'ADMIN', branchId: null }, null);
      this.audit.within(work, {
        action: 'ACCOUNT_CREATED',
        outcome: 'SUCCESS',
        entity: 'Account',
        entityId: id,
        details: { username, initial: true },
      });
      return true;
    });
    if (created && !given) {
      // printed once, on purpose to stdout: whoever runs the first start needs it
      process.stdout.write(
        `\n  Initial HQ admin created: username "${username}", one-time password "${password}"\n` +
          '  (shown only now; it must be changed at first sign-in)\n\n',
      );
    } else if (created)
      this.logger.log(`initial HQ admin "${username}" created from UNIONFED_ADMIN_PASSWORD`);
  }
}
