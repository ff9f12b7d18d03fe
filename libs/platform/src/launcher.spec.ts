import { failureReason } from './launcher';

describe('the reason a service gives for not starting', () => {
  it('is the last fatal entry of its log, with its error’s first line', () => {
    const log = [
      JSON.stringify({ level: 30, msg: 'connecting' }),
      JSON.stringify({
        level: 60,
        msg: 'gateway failed to start',
        err: { message: 'UNIONFED_ADMIN_PASSWORD is refused: it contains the username\n    at x (y.js:1)' },
      }),
      '',
    ].join('\n');
    expect(failureReason(log)).toBe(
      'gateway failed to start: UNIONFED_ADMIN_PASSWORD is refused: it contains the username',
    );
  });

  it('reads the other loggers’ error entries too, and falls back to the last line', () => {
    expect(
      failureReason(`${JSON.stringify({ level: 'ERROR', message: 'broker gone' })}\n{"level":30}\n`),
    ).toBe('broker gone');
    expect(failureReason('plain text\nSegmentation fault\n')).toBe('Segmentation fault');
    expect(failureReason('')).toBe('(nothing logged)');
  });
});
