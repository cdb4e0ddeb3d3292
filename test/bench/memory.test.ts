import { expect } from 'chai';
import { setTimeout as sleep } from 'node:timers/promises';
import { kibField, samplePeakRss, statField, treeOf } from '../../bench/memory.js';

// /proc/<pid>/stat: pid (comm) state ppid ...; the command name may hold spaces and parentheses.
function stat(pid: number, ppid: number, comm = 'vsftpd'): { pid: number; stat: string } {
  return { pid, stat: `${pid} (${comm}) S ${ppid} ${pid} ${pid} 0 -1 4194560 0 0 0 0 7 3 11 5 20 0` };
}

describe('bench/memory', () => {
  it('reads stat fields after a command name holding spaces and parentheses', () => {
    const { stat: text } = stat(42, 7, 'a b) c');
    expect(statField(text, 1)).to.equal(7);
    expect([11, 12, 13, 14].map((i) => statField(text, i))).to.deep.equal([7, 3, 11, 5]);
  });

  it('finds a process and all its descendants, and nothing else', () => {
    const stats = [stat(1, 0), stat(10, 1), stat(11, 10), stat(12, 11), stat(13, 10), stat(20, 1)];
    expect(treeOf(10, stats).sort((a, b) => a - b)).to.deep.equal([10, 11, 12, 13]);
    expect(treeOf(99, stats)).to.deep.equal([99]);
  });

  it('reads KiB fields of /proc files, 0 when absent', () => {
    const status = 'Name:\tnode\nVmPeak:\t 1000 kB\nVmRSS:\t   51234 kB\n';
    expect(kibField(status, 'VmRSS')).to.equal(51234);
    expect(kibField(status, 'Pss')).to.equal(0);
  });

  it('samples the RSS of a live process in a thread until stopped', async () => {
    const sampler = samplePeakRss(process.pid, false, 5);
    // Long enough for the thread to start on a loaded machine (100 ms was not, in a CI run).
    await sleep(1000);
    const { peakKiB, samples } = await sampler.stop();
    expect(peakKiB).to.be.greaterThan(1024);
    expect(samples).to.be.greaterThan(2);
  });
});
