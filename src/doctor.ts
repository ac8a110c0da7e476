/** `qplug doctor`: what this machine can do, each answer with its remedy. */
import { loadNative } from './native/loadNative.js';
import { probeSchPlug } from './plug/schPlugProbe.js';
import { hasCapNetAdmin } from './plug/caps.js';
import { canBootLab, labStatus } from './lab/index.js';

export interface DoctorCheck {
  name: 'addon' | 'cap_net_admin' | 'sch_plug' | 'lab';
  status: 'ok' | 'warn' | 'fail';
  summary: string;
  remedy?: string;
}

export interface DoctorReport {
  ok: boolean;
  /** Where plug commands can run: "host", "lab" or "nowhere". */
  plugRunsOn: 'host' | 'lab' | 'nowhere';
  verdict: string;
  checks: DoctorCheck[];
}

export async function runDoctor(options: { boot: boolean; onProgress?: (text: string) => void }): Promise<DoctorReport> {
  const checks: DoctorCheck[] = [];
  let addonOk = false;
  try {
    const addon = loadNative();
    addonOk = true;
    checks.push({ name: 'addon', status: 'ok', summary: `native addon loads (libnl ${addon.libnlVersion})` });
  } catch (error) {
    checks.push({ name: 'addon', status: 'fail', summary: (error as Error).message.split(':')[0] ?? 'native addon missing', remedy: 'run `./setup.sh` (installs libnl and builds the addon)' });
  }

  const cap = hasCapNetAdmin();
  checks.push(
    cap
      ? { name: 'cap_net_admin', status: 'ok', summary: 'this process has CAP_NET_ADMIN in its namespace' }
      : { name: 'cap_net_admin', status: 'warn', summary: 'no CAP_NET_ADMIN: qdiscs of this namespace cannot be changed', remedy: 'run as root (sudo), or inside `unshare -rn` for a private namespace' },
  );

  let schPlug: boolean | null = null;
  if (addonOk) {
    options.onProgress?.('probing sch_plug in a private network namespace...');
    const probe = await probeSchPlug();
    schPlug = probe.available;
    checks.push(
      probe.available === true
        ? { name: 'sch_plug', status: 'ok', summary: `this kernel has sch_plug: ${probe.detail}` }
        : probe.available === false
          ? { name: 'sch_plug', status: 'fail', summary: `this kernel has no sch_plug: ${probe.detail}`, remedy: 'use the kernel lab: `qplug lab run -- qplug attach <dev>` (CONFIG_NET_SCH_PLUG=m in your kernel fixes it for good)' }
          : { name: 'sch_plug', status: 'warn', summary: `unknown: ${probe.detail}`, remedy: 'run `qplug doctor` as root' },
    );
  } else {
    checks.push({ name: 'sch_plug', status: 'fail', summary: 'not checked: the addon does not load', remedy: 'run `./setup.sh`' });
  }

  const lab = labStatus();
  let labBoots = false;
  if (!lab.qemuPath) {
    checks.push({ name: 'lab', status: 'fail', summary: 'qemu-system-x86_64 is not installed', remedy: 'apt-get install qemu-system-x86 (or run ./setup.sh)' });
  } else if (!lab.built) {
    checks.push({ name: 'lab', status: 'fail', summary: `the lab image is not built (cache: ${lab.cacheDir})`, remedy: 'run `qplug lab build` (or ./setup.sh)' });
  } else if (!options.boot) {
    checks.push({ name: 'lab', status: 'ok', summary: `image built (kernel ${lab.kernelVersion}); boot not tried (--no-boot)` });
    labBoots = true;
  } else {
    options.onProgress?.('booting the lab VM once...');
    const boot = await canBootLab();
    labBoots = boot.ok;
    checks.push(
      boot.ok
        ? { name: 'lab', status: 'ok', summary: `the lab boots (kernel ${lab.kernelVersion}, ${lab.accel}) and ran a command in ${boot.seconds.toFixed(1)} s` }
        : { name: 'lab', status: 'fail', summary: `the lab did not boot: ${boot.error ?? 'unknown error'}`, remedy: 'run `qplug lab build --force`, then `qplug lab run -- true --debug`' },
    );
  }

  const plugRunsOn = addonOk && schPlug === true ? 'host' : addonOk && labBoots ? 'lab' : 'nowhere';
  const verdict =
    plugRunsOn === 'host'
      ? 'qplug can freeze traffic on this machine directly.'
      : plugRunsOn === 'lab'
        ? 'This kernel cannot freeze traffic itself; run plug commands and scenarios inside the lab: `qplug lab run -- <command>`.'
        : 'qplug cannot freeze traffic here yet: follow the remedies above.';
  return { ok: plugRunsOn !== 'nowhere', plugRunsOn, verdict, checks };
}
