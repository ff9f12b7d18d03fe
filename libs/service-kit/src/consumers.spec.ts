import {
  MembershipEvents,
  type MemberDeceased,
  type MemberReinstated,
  type MemberRetired,
  type MemberWithdrew,
} from '@unionfed/contracts';
import { DirectoryConsumer } from '@unionfed/directory';
import { EventConsumer, OnEvent, type HandlerContext } from '@unionfed/messaging';
import { EVENT_CONSUMERS, serviceConsumers } from './consumers';

@EventConsumer('member-accounts')
class ListedAccounts {
  @OnEvent(MembershipEvents.MemberWithdrew) async withdrew(_e: MemberWithdrew, _c: HandlerContext) {}
  @OnEvent(MembershipEvents.MemberDeceased) async deceased(_e: MemberDeceased, _c: HandlerContext) {}
  @OnEvent(MembershipEvents.MemberReinstated) async reinstated(_e: MemberReinstated, _c: HandlerContext) {}
}

@EventConsumer('member-accounts')
class AccountsHandlingMore {
  @OnEvent(MembershipEvents.MemberWithdrew) async withdrew(_e: MemberWithdrew, _c: HandlerContext) {}
  @OnEvent(MembershipEvents.MemberDeceased) async deceased(_e: MemberDeceased, _c: HandlerContext) {}
  @OnEvent(MembershipEvents.MemberReinstated) async reinstated(_e: MemberReinstated, _c: HandlerContext) {}
  @OnEvent(MembershipEvents.MemberRetired) async retired(_e: MemberRetired, _c: HandlerContext) {}
}

describe('serviceConsumers: a service runs the consumers the event catalogue lists', () => {
  it('installs the consumers of a service whose classes are the listed ones', () => {
    expect(serviceConsumers('congress', [DirectoryConsumer]).providers).toBeDefined();
    expect(serviceConsumers('gateway', [DirectoryConsumer, ListedAccounts]).providers).toBeDefined();
  });

  it('refuses a consumer the catalogue does not list, one it lacks, and one handling other event types', () => {
    expect(() => serviceConsumers('membership', [DirectoryConsumer])).toThrow(
      /membership's consumers are not the ones .*EVENT_CONSUMERS lists: it runs directory \(.*\), the catalogue says none/,
    );
    expect(() => serviceConsumers('gateway', [DirectoryConsumer])).toThrow(
      /catalogue says .*member-accounts/,
    );
    expect(() => serviceConsumers('gateway', [DirectoryConsumer, AccountsHandlingMore])).toThrow(
      /MemberRetired/,
    );
  });

  it('lists for every service what its consumer classes declare (the directory as its decorators say)', () => {
    const directory = EVENT_CONSUMERS.finance.find((e) => e.name === 'directory')!;
    expect(directory.handles.map((c) => c.type)).toContain(MembershipEvents.MemberJoined.type);
    expect(EVENT_CONSUMERS.gateway.map((e) => e.name)).toEqual(['directory', 'member-accounts']);
    expect(EVENT_CONSUMERS.finance.map((e) => e.name)).toEqual(['directory', 'disbursements']);
  });
});
