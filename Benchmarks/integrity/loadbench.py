# Wall and CPU time of `wordpipe nearest` (load + one query through a pipe) on two files, alternating.
import subprocess, sys, time, statistics, os, resource
wp = sys.argv[1]; files = sys.argv[2:4]; rounds = int(os.environ.get("ROUNDS", "21"))
def once(path):
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    r = subprocess.run([wp, "nearest", "--vectors", path, "-k", "10"], input=b"w17\n", stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    dt = time.perf_counter() - t
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert r.returncode == 0, r.stderr
    return dt, (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime), r.stdout
wall = {f: [] for f in files}; cpu = {f: [] for f in files}
outs = {}
for f in files: once(f)  # warm the page cache
for i in range(rounds):
    for f in (files if i % 2 == 0 else files[::-1]):
        dt, c, out = once(f); wall[f].append(dt); cpu[f].append(c); outs[f] = out
assert outs[files[0]] == outs[files[1]], "different answers"
for f in files:
    print(f"{f}: wall median {statistics.median(wall[f])*1e3:.1f} ms (min {min(wall[f])*1e3:.1f}), cpu median {statistics.median(cpu[f])*1e3:.1f} ms (min {min(cpu[f])*1e3:.1f}), n={rounds}")
a, b = files
print(f"verification: wall median {(statistics.median(wall[b])/statistics.median(wall[a])-1)*100:+.1f}%, wall min {(min(wall[b])/min(wall[a])-1)*100:+.1f}%, "
      f"cpu median {(statistics.median(cpu[b])/statistics.median(cpu[a])-1)*100:+.1f}%, cpu min {(min(cpu[b])/min(cpu[a])-1)*100:+.1f}%")
