"""The Python package on s3:// paths, against a real S3-compatible server: moto's, from
.venv-moto (scripts/bootstrap.sh creates it), started by this module on 127.0.0.1. The
credentials and endpoint reach the engine only through NeMo's `storage_options`."""

from __future__ import annotations

import os
import pathlib
import socket
import subprocess
import time

import numpy as np
import pytest

import semdedup

from conftest import REPO

MOTO_PYTHON = REPO / ".venv-moto" / "bin" / "python"
BUCKET = "semdedup-py-test"

# boto3 in moto's venv: setup (an IAM user whose key the server accepts, and the bucket), put,
# get and keys (`command endpoint key secret bucket args...`), as tests/unit/s3/s3_cli_test.cpp does.
CLIENT = r"""
import os, sys, boto3
command, endpoint = sys.argv[1], sys.argv[2]
def client(service, key, secret):
    return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id=key, aws_secret_access_key=secret)
if command == "setup":
    iam = client("iam", "bootstrap", "bootstrap")
    iam.create_user(UserName="semdedup")
    iam.put_user_policy(UserName="semdedup", PolicyName="all", PolicyDocument=
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}')
    key = iam.create_access_key(UserName="semdedup")["AccessKey"]
    client("s3", key["AccessKeyId"], key["SecretAccessKey"]).create_bucket(Bucket=sys.argv[5])
    print(key["AccessKeyId"], key["SecretAccessKey"])
    sys.exit(0)
s3 = client("s3", sys.argv[3], sys.argv[4])
bucket = sys.argv[5]
if command == "put":
    local, prefix = sys.argv[6], sys.argv[7]
    for root, _, files in os.walk(local):
        for name in files:
            path = os.path.join(root, name)
            s3.upload_file(path, bucket, prefix + "/" + os.path.relpath(path, local))
elif command == "get":
    prefix, local = sys.argv[6], sys.argv[7]
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix + "/"):
        for item in page.get("Contents", []):
            if item["Key"].endswith("/"):
                continue
            path = os.path.join(local, os.path.relpath(item["Key"], prefix))
            os.makedirs(os.path.dirname(path), exist_ok=True)
            s3.download_file(bucket, item["Key"], path)
elif command == "keys":
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            print(item["Key"])
"""


class Moto:
    """A running moto server and a boto3 client of it with the key the server accepts."""

    def __init__(self, endpoint: str, key: str, secret: str) -> None:
        self.endpoint = endpoint
        self.key = key
        self.secret = secret

    def client(self, command: str, *args: str) -> str:
        done = subprocess.run(
            [str(MOTO_PYTHON), "-c", CLIENT, command, self.endpoint, self.key, self.secret, BUCKET,
             *args],
            capture_output=True, text=True, check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def put(self, local: pathlib.Path, prefix: str) -> None:
        self.client("put", str(local), prefix)

    def get(self, prefix: str, local: pathlib.Path) -> None:
        self.client("get", prefix, str(local))

    def keys_under(self, prefix: str) -> list[str]:
        return [k for k in self.client("keys").split() if k.startswith(prefix) and not k.endswith("/")]

    def options(self, **extra) -> dict:
        """NeMo's (fsspec's) storage_options for this server: nested client_kwargs included."""
        return {"key": self.key, "secret": self.secret,
                "client_kwargs": {"endpoint_url": self.endpoint, "region_name": "us-east-1"},
                **extra}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def moto():
    if not MOTO_PYTHON.exists():
        pytest.skip(f"{MOTO_PYTHON} is missing: scripts/bootstrap.sh creates it (moto's S3 server)")
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    # Every request after the three of `setup` (the IAM user and its key) must be signed with a
    # key the server knows.
    env = dict(os.environ, INITIAL_NO_AUTH_ACTION_COUNT="3")
    server = subprocess.Popen([str(MOTO_PYTHON), "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, "moto server exited"
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "moto server did not start"
                time.sleep(0.1)
        setup = Moto(endpoint, "", "").client("setup")
        key, secret = setup.split()
        yield Moto(endpoint, key, secret)
    finally:
        server.terminate()
        server.wait()


@pytest.fixture(autouse=True)
def no_aws_environment(monkeypatch):
    """Nothing from this machine's AWS settings: the storage options carry everything."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
                 "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")


def data_files(root: pathlib.Path) -> dict[str, bytes]:
    """The files under `root` and their bytes, leaving out those that name paths (the manifest,
    the run summary)."""
    files = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.name not in ("_semdedup_manifest", "summary.json"):
            files[str(path.relative_to(root))] = path.read_bytes()
    return files


def s3(*parts: str) -> str:
    return "/".join((f"s3://{BUCKET}",) + parts)


def test_workflow_on_s3_writes_the_bytes_of_the_local_run(moto, blobs_dir, tmp_path):
    moto.put(blobs_dir, "wf/in")
    keywords = dict(n_clusters=5, eps=0.01, verbose=False)
    local = tmp_path / "local"
    local_result = semdedup.SemanticDeduplicationWorkflow(str(blobs_dir), str(local), **keywords).run()

    options = moto.options()
    result = semdedup.SemanticDeduplicationWorkflow(
        s3("wf", "in"), s3("wf", "out"), **keywords,
        read_kwargs={"storage_options": options}, write_kwargs={"storage_options": options},
    ).run()
    assert result.num_duplicates == local_result.num_duplicates > 0
    assert result.duplicates_path == s3("wf", "out", "duplicates")

    moto.get("wf/out", tmp_path / "fetched")
    want = data_files(local)
    have = data_files(tmp_path / "fetched")
    assert len(want) > 10 and "kmeans_centroids.npy" in want and "duplicates/part-00000.parquet" in want
    assert sorted(have) == sorted(want)
    for name, data in want.items():
        assert have[name] == data, f"{name} differs"
    # The credentials are not recorded, and no temporary object or lock is left behind.
    assert moto.secret.encode() not in (tmp_path / "fetched" / "_semdedup_manifest").read_bytes()
    for key in moto.keys_under("wf/"):
        assert ".tmp-" not in key and ".semdedup.lock" not in key


def test_stages_read_s3_and_write_local_or_s3_with_flat_options(moto, blobs_dir, tmp_path):
    moto.put(blobs_dir, "stages/in")
    flat = {"endpoint_url": moto.endpoint, "aws_access_key_id": moto.key,
            "aws_secret_access_key": moto.secret, "region": "us-east-1"}
    # Only read_kwargs carries the options for the s3 input; write_kwargs may stay empty.
    semdedup.KMeansStage(5, "id", "embeddings", str(blobs_dir), str(tmp_path / "km")).run()
    semdedup.KMeansStage(5, "id", "embeddings", s3("stages", "in"), s3("stages", "km"),
                         read_kwargs={"storage_options": flat}).run()
    semdedup.PairwiseStage("id", "embeddings", str(tmp_path / "km"), str(tmp_path / "pw")).run()
    semdedup.PairwiseStage("id", "embeddings", s3("stages", "km"), str(tmp_path / "pw_from_s3"),
                           read_kwargs={"storage_options": flat}).run()
    moto.get("stages/km", tmp_path / "km_fetched")
    assert data_files(tmp_path / "km_fetched") == data_files(tmp_path / "km")
    assert data_files(tmp_path / "pw_from_s3") == data_files(tmp_path / "pw")
    assert len(data_files(tmp_path / "pw")) >= 5


def test_kmeans_reads_an_init_file_from_s3(moto, tmp_path):
    x = np.random.RandomState(3).normal(size=(200, 4)).astype(np.float32)
    init = np.random.RandomState(4).normal(size=(3, 4)).astype(np.float32)
    (tmp_path / "init").mkdir()
    np.save(tmp_path / "init" / "c.npy", init)
    moto.put(tmp_path / "init", "init")
    want = semdedup.kmeans(x, 3, init=str(tmp_path / "init" / "c.npy"))
    have = semdedup.kmeans(x, 3, init=s3("init", "c.npy"), storage_options=moto.options())
    np.testing.assert_array_equal(have[0], want[0])
    np.testing.assert_array_equal(have[1], want[1])


@pytest.mark.parametrize("what", ["wrong secret", "unknown key"])
def test_bad_credentials_raise_one_line_and_write_nothing(moto, blobs_dir, tmp_path, what):
    moto.put(blobs_dir, "bad/in")
    options = moto.options(secret="not-the-secret")
    if what == "unknown key":
        options = moto.options(key="AKIANOTAKNOWNKEY0000")
    for output in (s3("bad", "out"), str(tmp_path / "local_out")):
        workflow = semdedup.SemanticDeduplicationWorkflow(
            s3("bad", "in"), output, n_clusters=5, eps=0.01, verbose=False,
            read_kwargs={"storage_options": options}, write_kwargs={"storage_options": options},
        )
        with pytest.raises((OSError, ValueError)) as error:
            workflow.run()
        message = str(error.value)
        assert "\n" not in message and "AWS Error" in message, message
        if not output.startswith("s3://"):
            assert s3("bad", "in") in message, message
    assert not (tmp_path / "local_out").exists()
    assert moto.keys_under("bad/out") == [] and moto.keys_under("bad/.out") == []
