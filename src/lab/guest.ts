/**
 * The programs that run inside the lab VM. Stage 1 is baked into the
 * initramfs; stage 2 and the exec helper travel with every job, so changing
 * them needs no rebuild. No host data is ever interpolated into these texts:
 * the scripts read the job's files at run time.
 */

/** Modules loaded at boot so that commands find the qdiscs and veth ready. */
export const PRELOAD_MODULES = ['sch_plug', 'sch_prio', 'cls_u32', 'sch_netem', 'veth'];

/** Drivers stage 1 needs to reach the host filesystem (dependencies added from modules.dep). */
export const INITRAMFS_MODULES = ['virtio_pci', 'virtio_console', '9pnet_virtio', '9p', 'overlay'];

/** Kernel config symbols of INITRAMFS_MODULES and their dependencies, to skip built-ins. */
export const INITRAMFS_CONFIG: Record<string, string> = {
  virtio: 'CONFIG_VIRTIO',
  virtio_ring: 'CONFIG_VIRTIO',
  virtio_pci: 'CONFIG_VIRTIO_PCI',
  virtio_console: 'CONFIG_VIRTIO_CONSOLE',
  '9pnet': 'CONFIG_NET_9P',
  '9pnet_virtio': 'CONFIG_NET_9P_VIRTIO',
  '9p': 'CONFIG_9P_FS',
  netfs: 'CONFIG_NETFS_SUPPORT',
  fscache: 'CONFIG_FSCACHE',
  overlay: 'CONFIG_OVERLAY_FS',
};

/** virtio-serial port names: the guest finds its ports by these. */
export const PORT_STDOUT = 'qplug.stdout';
export const PORT_STDERR = 'qplug.stderr';
export const PORT_STATUS = 'qplug.status';

/** Job files that carry data for the scripts (besides argv/env/cwd from job.ts). */
export const JOB_MODULES_SOURCE = 'modules-source';
export const JOB_MODULES_TARGET = 'modules-target';
export const JOB_PRELOAD = 'preload';

/**
 * /init in the initramfs (PID 1). Mounts the host's / over 9p read-only as the
 * lower layer of an overlay whose upper layer is tmpfs, mounts fresh /run and
 * /tmp (keeping the job's working directory visible when it lives there),
 * binds the cached modules at /lib/modules/<version>, then switch_root's into
 * stage 2 from the job directory.
 */
export const STAGE1_INIT = `#!/bin/busybox sh
# qplug lab, stage 1 (PID 1 in the initramfs). Messages go to the kernel
# console, which the host keeps in the job's console.log.
/bin/busybox mount -t proc proc /proc
/bin/busybox --install -s /bin
export PATH=/bin
fail() {
  echo "qplug-lab: stage 1: $*" >/dev/console
  poweroff -f
  sleep 5
  exit 1
}
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
while read -r m; do
  [ -n "$m" ] || continue
  insmod "/lib/modules/$m" || fail "insmod $m failed"
done </etc/qplug/modules

JOB=
for w in $(cat /proc/cmdline); do
  case "$w" in qplug.job=*) JOB="\${w#qplug.job=}" ;; esac
done
[ -n "$JOB" ] || fail "no qplug.job= on the kernel command line"

mkdir -p /lower /rw /newroot
# cache=loose: the lower layer is read-only and the VM short-lived; caching
# makes loading programs (node_modules...) several times faster.
mount -t 9p -o ro,trans=virtio,version=9p2000.L,msize=512000,cache=loose hostroot /lower \\
  || fail "cannot mount the host filesystem (9p tag hostroot)"
J="/lower$JOB"
[ -f "$J/stage2.sh" ] || fail "the job directory $JOB is not visible through 9p"
mount -t tmpfs -o mode=0755 qplug-rw /rw || fail "cannot mount the tmpfs for the overlay"
mkdir -p /rw/upper /rw/work /rw/cwd
mount -t overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work qplug-root /newroot \\
  || fail "cannot mount the overlay root"

# Modules: bound straight from the 9p view (read-only) before anything shadows it.
MODS="$(cat "$J/${JOB_MODULES_SOURCE}")"
MODT="$(cat "$J/${JOB_MODULES_TARGET}")"
if [ -d "/lower$MODS" ] && mkdir -p "/newroot$MODT" && mount --bind "/lower$MODS" "/newroot$MODT"; then :; else
  echo "qplug-lab: cannot bind the modules $MODS at $MODT; modprobe will not work" >/dev/console
fi

# Fresh /run and /tmp, but a working directory under them stays visible.
CWD="$(cat "$J/cwd")"
KEEP=
case "$CWD" in
  /tmp/*|/run/*) [ -d "/newroot$CWD" ] && mount --bind "/newroot$CWD" /rw/cwd && KEEP=1 ;;
esac
mkdir -p /newroot/run /newroot/tmp
mount -t tmpfs -o mode=0755,nosuid,nodev qplug-run /newroot/run || fail "cannot mount /run"
mount -t tmpfs -o mode=1777,nosuid,nodev qplug-tmp /newroot/tmp || fail "cannot mount /tmp"
if [ -n "$KEEP" ]; then
  mkdir -p "/newroot$CWD" && mount --move /rw/cwd "/newroot$CWD" || echo "qplug-lab: cannot keep $CWD visible" >/dev/console
fi

mkdir -p /newroot/run/qplug/job
cp "$J"/* /newroot/run/qplug/job/ || fail "cannot copy the job from $JOB"
cp /bin/busybox /newroot/run/qplug/busybox || fail "cannot copy busybox"
exec switch_root /newroot /run/qplug/busybox sh /run/qplug/job/stage2.sh
`;

/**
 * Stage 2 (PID 1 in the merged root). Busybox runs only our plumbing; the
 * command itself is started by exec.pl with the host's programs.
 */
export const STAGE2 = `# qplug lab, stage 2 (PID 1 in the merged root, busybox sh).
BB=/run/qplug/busybox
J=/run/qplug/job
# Until our /proc is mounted the host's shows through the 9p root, and
# busybox --install would read the host's /proc/self/exe (qemu's binary).
"$BB" mount -t proc -o nosuid,nodev,noexec proc /proc
"$BB" mkdir -p /run/qplug/bin && "$BB" --install -s /run/qplug/bin
# Only busybox here: Debian's static busybox prefers its applets over PATH.
export PATH=/run/qplug/bin
log() { echo "qplug-lab: $*" >/dev/console; }

mount -t sysfs -o nosuid,nodev,noexec sysfs /sys
mount -t devtmpfs -o mode=0755,nosuid devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts
mount -t tmpfs -o mode=1777,nosuid,nodev shm /dev/shm
ln -sfn /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
mount -t cgroup2 -o nsdelegate cgroup2 /sys/fs/cgroup 2>/dev/null
ip link set lo up
hostname qplug-lab

# The kernel's own module loading (request_module) runs this helper.
MODPROBE=/sbin/modprobe
[ -x "$MODPROBE" ] || MODPROBE=/run/qplug/bin/modprobe
echo "$MODPROBE" >/proc/sys/kernel/modprobe
# One modprobe for all (each start reads the module index over 9p); on
# failure retry one by one to log which.
if ! "$MODPROBE" -q -a $(cat "$J/${JOB_PRELOAD}") 2>/dev/null; then
  for m in $(cat "$J/${JOB_PRELOAD}"); do
    "$MODPROBE" -q "$m" 2>/dev/null || echo "<3>qplug-lab: modprobe $m failed" >/dev/kmsg
  done
fi

port() {
  for p in /sys/class/virtio-ports/*; do
    [ "$(cat "$p/name" 2>/dev/null)" = "$1" ] && { echo "/dev/\${p##*/}"; return 0; }
  done
  return 1
}
OUT="$(port ${PORT_STDOUT})" && ERR="$(port ${PORT_STDERR})" && ST="$(port ${PORT_STATUS})" \\
  || { log "virtio-serial ports missing"; poweroff -f; }

# A port can be opened only once at a time, so the command writes to pipes
# (reopening /dev/stdout keeps working) and cat copies them to the ports.
mkfifo /run/qplug/stdout /run/qplug/stderr
cat /run/qplug/stdout >"$OUT" &
OPID=$!
cat /run/qplug/stderr >"$ERR" &
EPID=$!
if [ -x /usr/bin/perl ]; then
  # In the background so that ash reports a signal death ("Killed") on the
  # console rather than into the command's stderr; exec.pl undoes the
  # SIGINT/SIGQUIT ignoring that background jobs get.
  /usr/bin/perl "$J/exec.pl" "$J" </dev/null >/run/qplug/stdout 2>/run/qplug/stderr &
  wait $!
  STATUS=$?
else
  echo "qplug lab: /usr/bin/perl (Debian's perl-base) is missing on the host: it starts the command" >/run/qplug/stderr
  STATUS=127
fi
# Background children may keep the pipes open: give them 3 s, then stop copying.
( sleep 3; kill $OPID $EPID ) 2>/dev/null &
KPID=$!
wait $OPID $EPID
kill $KPID 2>/dev/null
echo "exit=$STATUS" >"$ST"
poweroff -f
`;

/**
 * Starts the command: exactly the job's environment, its cwd, its argv (argv[0]
 * looked up in the job's PATH), no shell. Exit 126/127 when it cannot start.
 */
export const EXEC_PL = `# qplug lab: exec the job's command (perl-base only, no modules).
my $dir = shift @ARGV;
sub slurp {
  my ($name) = @_;
  open(my $fh, '<:raw', "$dir/$name") or die "qplug lab: cannot read job file $name: $!\\n";
  local $/;
  my $data = <$fh>;
  return defined $data ? $data : '';
}
sub list {
  my @items = split(/\\0/, slurp($_[0]), -1);
  pop @items;
  return @items;
}
my @argv = list('argv');
my @env = list('env');
my $cwd = slurp('cwd');
%ENV = ();
for my $kv (@env) {
  my $i = index($kv, '=');
  $ENV{substr($kv, 0, $i)} = substr($kv, $i + 1) if $i > 0;
}
$SIG{$_} = 'DEFAULT' for qw(INT QUIT TERM HUP PIPE CHLD);
chdir($cwd) or do {
  print STDERR "qplug lab: cannot enter the working directory $cwd: $!\\n";
  exit 126;
};
{ exec { $argv[0] } @argv; }
my $errno = $! + 0;
print STDERR "qplug lab: cannot run $argv[0]: $!\\n";
exit($errno == 2 ? 127 : 126);
`;
