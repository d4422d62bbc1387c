"""How long `import cmr` takes in a fresh interpreter (target < 1 s)."""
import subprocess
import sys
import time


def main():
    times = []
    for _ in range(3):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import cmr"], check=True)
        times.append(time.perf_counter() - start)
    print(f"python -c 'import cmr': best of 3 = {min(times):.3f} s (includes interpreter start)")
