"""Records how huggingface_hub and PhiSharp see each other's cache, for tests/PhiSharp.Hub.Tests/InteropTests.cs.

Needs huggingface_hub's source (not installed: PYTHONPATH=<checkout>/src) and its dependencies (Debian: python3-httpx,
python3-filelock, python3-fsspec, python3-tqdm, python3-yaml, python3-packaging, python3-typing-extensions, python3-click),
and a built phi (dotnet build src/PhiSharp.Cli -c Release). No network: a Hub-shaped server on loopback serves one
repository with an LFS file (redirected to a CDN path, X-Linked-Etag / X-Linked-Size) and a small file (its git blob id
as ETag), as huggingface.co does.

Writes, under --out (tests/fixtures/hub):
  python-cache/   the cache hf_hub_download wrote for both files (blobs, snapshots with relative symlinks, refs/main)
  phi-pull-scan.json   scan_cache_dir's and try_to_load_from_cache's view of the cache `phi pull` wrote for the same files

    PYTHONPATH=/path/to/huggingface_hub/src python3 tools/reference/hub/record_interop.py \
        --phi src/PhiSharp.Cli/bin/Release/net10.0/phi.dll --out tests/fixtures/hub
"""
import argparse
import hashlib
import http.server
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading

REPO = "phisharp-test/tiny"
COMMIT = hashlib.sha1(b"phisharp interop commit").hexdigest()
FILES = {
    # name: (content, lfs)
    "weights.gguf": (b"GGUF" + bytes(range(256)) * 16, True),
    "config.json": (b'{"model_type": "phi3"}\n', False),
}


def git_blob_id(content):
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


class FakeHub(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_HEAD(self):
        self.answer(body=False)

    def do_GET(self):
        self.answer(body=True)

    def answer(self, body):
        prefix = f"/{REPO}/resolve/main/"
        if self.path.startswith("/cdn/"):
            sha = self.path[len("/cdn/"):].split("?")[0]
            content = next(c for c, lfs in FILES.values() if hashlib.sha256(c).hexdigest() == sha)
            return self.send(200, {"Content-Length": str(len(content))}, content if body else b"")
        if not self.path.startswith(prefix) or self.path[len(prefix):] not in FILES:
            return self.send(404, {"X-Error-Code": "EntryNotFound", "X-Repo-Commit": COMMIT, "Content-Length": "0"}, b"")
        content, lfs = FILES[self.path[len(prefix):]]
        if lfs:
            sha = hashlib.sha256(content).hexdigest()
            port = self.server.server_address[1]
            return self.send(302, {
                "Location": f"http://127.0.0.1:{port}/cdn/{sha}?X-Amz-Signature=fake",
                "X-Repo-Commit": COMMIT, "X-Linked-Etag": f'"{sha}"', "X-Linked-Size": str(len(content)),
                "ETag": f'"{git_blob_id(content)}"', "Content-Length": "0"}, b"")
        return self.send(200, {"X-Repo-Commit": COMMIT, "ETag": f'"{git_blob_id(content)}"',
                               "Content-Length": str(len(content))}, content if body else b"")

    def send(self, status, headers, payload):
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--phi", required=True, help="phi.dll")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FakeHub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    endpoint = f"http://127.0.0.1:{server.server_address[1]}"
    work = tempfile.mkdtemp(prefix="phisharp-interop-")
    python_home, phi_home = os.path.join(work, "python"), os.path.join(work, "phi")

    # huggingface_hub reads its environment when imported.
    os.environ.update(HF_ENDPOINT=endpoint, HF_HOME=python_home, HF_HUB_DISABLE_TELEMETRY="1",
                      HF_HUB_DISABLE_XET="1", HF_HUB_DISABLE_PROGRESS_BARS="1")
    os.environ.pop("HF_HUB_CACHE", None)
    os.environ.pop("HF_TOKEN", None)
    import filelock
    import huggingface_hub
    import huggingface_hub.utils._fixes as fixes
    from huggingface_hub import hf_hub_download, scan_cache_dir, try_to_load_from_cache

    if "mode" not in filelock.FileLock.__init__.__code__.co_varnames:
        # Debian 12's filelock (3.9) predates the mode argument huggingface_hub passes; the lock is not what is recorded.
        class FileLock(filelock.FileLock):
            def __init__(self, lock_file, mode=None, **kwargs):
                super().__init__(lock_file, **kwargs)
        fixes.FileLock = FileLock

    for name in FILES:
        hf_hub_download(REPO, name)
    os.makedirs(args.out, exist_ok=True)
    out_cache = os.path.join(args.out, "python-cache")
    shutil.rmtree(out_cache, ignore_errors=True)
    repo_folder = "models--" + REPO.replace("/", "--")
    shutil.copytree(os.path.join(python_home, "hub", repo_folder), os.path.join(out_cache, repo_folder), symlinks=True)

    env = dict(os.environ, HF_HOME=phi_home, HF_ENDPOINT=endpoint)
    for name in FILES:
        subprocess.run(["dotnet", args.phi, "pull", f"{REPO}:{name}", "--json"], env=env, check=True, capture_output=True)
    phi_cache = os.path.join(phi_home, "hub")
    info = scan_cache_dir(phi_cache)
    view = {
        "huggingface_hub": huggingface_hub.__version__,
        "warnings": [str(w) for w in info.warnings],
        "incomplete_files": len(info.incomplete_files),
        "repos": [{
            "repo_id": repo.repo_id, "repo_type": repo.repo_type, "size_on_disk": repo.size_on_disk, "nb_files": repo.nb_files,
            "refs": sorted(repo.refs),
            "revisions": [{
                "commit_hash": rev.commit_hash, "refs": sorted(rev.refs), "size_on_disk": rev.size_on_disk,
                "files": sorted(({"file_name": f.file_name, "size_on_disk": f.size_on_disk,
                                  "blob": os.path.basename(f.blob_path)} for f in rev.files), key=lambda f: f["file_name"]),
            } for rev in sorted(repo.revisions, key=lambda r: r.commit_hash)],
        } for repo in sorted(info.repos, key=lambda r: r.repo_id)],
        "try_to_load_from_cache": {
            name: os.path.relpath(try_to_load_from_cache(REPO, name, cache_dir=phi_cache), phi_cache) for name in FILES},
    }
    with open(os.path.join(args.out, "phi-pull-scan.json"), "w") as f:
        json.dump(view, f, indent=2)
        f.write("\n")
    shutil.rmtree(work)
    server.shutdown()
    print(f"wrote {out_cache} and {os.path.join(args.out, 'phi-pull-scan.json')}", file=sys.stderr)


if __name__ == "__main__":
    main()
