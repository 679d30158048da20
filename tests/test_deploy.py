"""deploy/ checked without a container engine (none runs here): the files parse, agree with one
another and with the README, start Loa as the README says, and name only settings Loa reads."""

from __future__ import annotations

import ast
import re
import shlex
import subprocess
import sys
import threading
import tomllib
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
UNITS = sorted(DEPLOY.glob("*.service"))
SECRETS = ("LOA_TELEGRAM_TOKEN", "LOA_WEBHOOK_SECRET", "PGPASSWORD")
SECRET_NAME = re.compile(r"TOKEN|SECRET|PASSWORD")


@cache
def loa_reads() -> frozenset[str]:
    """Every LOA_ variable named as a whole string in Loa's packages (bot/config.py's KEYS, the
    token, LOA_CONFIG...)."""
    packages = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "packages"]["find"]["include"]
    names = set()
    for package in packages:
        for path in (ROOT / package.rstrip("*")).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if (isinstance(node, ast.Constant) and isinstance(node.value, str)
                        and re.fullmatch(r"LOA_[A-Z0-9_]+", node.value)):
                    names.add(node.value)
    return frozenset(names)


def named(text: str) -> set[str]:
    return set(re.findall(r"\bLOA_[A-Z0-9_]+", text))


def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continued lines joined and comments left out."""
    text = re.sub(r"\\\n", " ", (DEPLOY / "Dockerfile").read_text())
    lines = [line.strip() for line in text.splitlines()]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1])
            for line in lines if line and not line.startswith("#")]


def exec_form(arguments: str) -> list[str]:
    return yaml.safe_load(arguments) if arguments.startswith("[") else shlex.split(arguments)


def image_commands() -> tuple[list[str], list[str]]:
    """The image's install command (pip's cache flag aside) and its start command."""
    install = [shlex.split(args) for op, args in dockerfile() if op == "RUN" and "pip install"
               in args]
    assert len(install) == 1, install
    start = [exec_form(args) for op, args in dockerfile() if op == "CMD"]
    return [word for word in install[0] if word != "--no-cache-dir"], start[-1]


def shown(markdown: Path) -> list[list[str]]:
    """The command lines of a markdown file's sh blocks, each word a path's last part (so that
    `.venv/bin/pip` reads `pip`); a line may start with more (sudo, systemd-run ...)."""
    blocks = re.findall(r"^```sh\n(.*?)^```", markdown.read_text(), re.M | re.S)
    return [[word.rsplit("/", 1)[-1] or word for word in shlex.split(line, comments=True)]
            for block in blocks for line in block.splitlines() if line.strip()]


def is_shown(command: list[str], readme: Path) -> bool:
    return any(line[-len(command):] == command for line in shown(readme))


def unit(path: Path) -> dict[str, dict[str, list[str]]]:
    """A systemd unit: section → key → values (a key may repeat)."""
    sections: dict[str, dict[str, list[str]]] = {}
    for line in path.read_text().splitlines():
        if line.startswith("["):
            section = sections.setdefault(line.strip("[]"), {})
        elif line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            section.setdefault(key.strip(), []).append(value.strip())
    return sections


def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def services_running(*command: str) -> dict[str, dict]:
    return {name: service for name, service in compose()["services"].items()
            if service.get("command") == list(command)}


def env_example() -> dict[str, str]:
    """The variables loa.env.example sets (uncommented lines)."""
    lines = (DEPLOY / "loa.env.example").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


def port(listen: str) -> int:
    return int(listen.rpartition(":")[2])


@pytest.mark.parametrize("readme", [
    ROOT / "README.md",
    DEPLOY / "README.md",
], ids=["README.md", "deploy/README.md"])
def test_deploy_installs_and_starts_loa_as_the_readme_shows(readme):
    install, start = image_commands()
    commands = [install, start]
    commands += [service["command"] for service in compose()["services"].values()
                 if "command" in service]
    commands += [shlex.split(unit(path)["Service"]["ExecStart"][0]) for path in UNITS]
    commands = [[word.rsplit("/", 1)[-1] for word in command] for command in commands]
    assert install == ["pip", "install", "-e", "."]
    assert start == ["loa", "run", "--webhook"]
    assert {"loa web", "loa db upgrade"} <= {" ".join(command) for command in commands}
    missing = [" ".join(command) for command in commands if not is_shown(command, readme)]
    assert not missing, f"{readme.name} shows no {missing}"


def test_the_image_is_slim_runs_as_loa_and_holds_what_loa_reads():
    steps = dockerfile()
    assert steps[0] == ("FROM", "python:3.11-slim")
    users = [args for op, args in steps if op == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    copied = {word.rstrip("/") for op, args in steps if op == "COPY"
              for word in shlex.split(args)[:-1]}
    packages = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "packages"]["find"]["include"]
    wanted = {p.rstrip("*") for p in packages} | {"pyproject.toml", "README.md", "config.toml",
                                                  "locales", "deploy/healthz.py"}
    assert wanted <= copied, f"not copied into the image: {wanted - copied}"
    (check,) = [args for op, args in steps if op == "HEALTHCHECK"]
    assert check.split(" CMD ", 1)[1] == '["python", "deploy/healthz.py"]'


def test_compose_runs_postgres_16_two_workers_the_page_and_caddy_with_healthchecks():
    services = compose()["services"]
    postgres = services["postgres"]
    assert postgres["image"] == "postgres:16"
    assert "pg_isready" in postgres["healthcheck"]["test"]
    assert any(volume.endswith(":/var/lib/postgresql/data") for volume in postgres["volumes"])
    workers = services_running("loa", "run", "--webhook")
    (web,) = services_running("loa", "web").values()
    (migrate,) = services_running("loa", "db", "upgrade").values()
    assert len(workers) == 2
    assert len({w["environment"]["LOA_WEBHOOK_LISTEN"] for w in workers.values()}) == 1
    assert web["environment"]["LOA_WEB_LISTEN"]
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    for service in [*workers.values(), web]:
        assert service["healthcheck"]["test"] == ["CMD", "python", "deploy/healthz.py"]
        assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert service["restart"] == "always"
    for service in [*workers.values(), web, migrate]:
        assert service["env_file"] == "loa.env"
        assert service["environment"]["LOA_DATABASE_URL"].startswith("postgresql+psycopg://")
    assert services["caddy"]["image"].startswith("caddy:")
    assert "./Caddyfile:/etc/caddy/Caddyfile:ro" in services["caddy"]["volumes"]


def test_no_secret_is_written_in_compose_or_a_unit():
    def values(node, key=""):
        if isinstance(node, dict):
            for k, v in node.items():
                yield from values(v, str(k))
        elif isinstance(node, list):
            for v in node:
                yield from values(v, key)
        else:
            yield key, str(node)

    for key, value in values(compose()):
        if SECRET_NAME.search(key):
            assert re.fullmatch(r"\$\{\w+(:?\?[^}]*)?\}", value), f"{key} is written in compose"
        for url in re.findall(r"\w+(?:\+\w+)?://\S+", value):
            assert urlsplit(url).password is None, f"a password in {url}"
    for path in UNITS:
        for line in unit(path)["Service"].get("Environment", []):
            assert not SECRET_NAME.search(line), f"{path.name}: {line}"
        assert unit(path)["Service"]["EnvironmentFile"] == ["/etc/loa/loa.env"]
    example = env_example()
    assert all(example[name] == "" for name in SECRETS), "loa.env.example holds a secret"


def test_deploy_names_only_variables_that_loa_reads():
    reads = loa_reads()
    for path in filter(Path.is_file, DEPLOY.iterdir()):
        unknown = named(path.read_text()) - reads
        assert not unknown, f"{path.name} names what Loa does not read: {unknown}"


def test_the_environment_example_lists_every_variable_that_loa_reads():
    missing = loa_reads() - named((DEPLOY / "loa.env.example").read_text())
    assert not missing, f"loa.env.example lacks {missing}"


@pytest.mark.parametrize("path", UNITS, ids=[path.name for path in UNITS])
def test_a_unit_restarts_always_as_its_own_user_with_the_environment_file(path):
    service = unit(path)["Service"]
    assert service["Restart"] == ["always"]
    assert service["EnvironmentFile"] == ["/etc/loa/loa.env"]
    assert service["User"] == ["loa"]
    assert shlex.split(service["ExecStart"][0])[0] == "/opt/loa/.venv/bin/loa"


def test_the_units_run_workers_and_the_page():
    started = {" ".join(shlex.split(unit(path)["Service"]["ExecStart"][0])[1:]): path.name
               for path in UNITS}
    assert started == {"run --webhook": "loa@.service", "web": "loa-web.service"}


def caddy_sites() -> dict[str, list]:
    """The Caddyfile as site name → nested [words, children] directives."""
    root: list = []
    stack = [root]
    for line in (DEPLOY / "Caddyfile").read_text().splitlines():
        words = line.split("#", 1)[0].split()
        if words == ["}"]:
            stack.pop()
        elif words:
            node = [words[:-1] if words[-1] == "{" else words, []]
            stack[-1].append(node)
            if words[-1] == "{":
                stack.append(node[1])
    return {words[0]: children for words, children in root}


def caddy_find(children: list, *head: str) -> list:
    return [node for node in children if node[0][:len(head)] == list(head)]


def test_caddy_sends_the_webhook_path_to_every_worker_and_the_page_to_web():
    services = compose()["services"]
    example = env_example()
    hook = urlsplit(example["LOA_WEBHOOK_URL"])
    page = urlsplit(example["LOA_WEB_PUBLIC_URL"])
    sites = caddy_sites()
    assert set(sites) == {hook.hostname, page.hostname}

    (handle,) = caddy_find(sites[hook.hostname], "handle", hook.path + "*")
    (proxy,) = caddy_find(handle[1], "reverse_proxy")
    workers = services_running("loa", "run", "--webhook")
    assert sorted(proxy[0][1:]) == sorted(
        f"{name}:{port(w['environment']['LOA_WEBHOOK_LISTEN'])}" for name, w in workers.items())
    assert caddy_find(proxy[1], "health_uri", "/healthz")

    (web,) = services_running("loa", "web")
    upstream = f"web:{port(services[web]['environment']['LOA_WEB_LISTEN'])}"
    proxies = [node for handle in caddy_find(sites[page.hostname], "handle")
               for node in caddy_find(handle[1], "reverse_proxy", upstream)]
    assert len(proxies) == 1 and caddy_find(proxies[0][1], "health_uri", "/healthz")


def test_nginx_sends_the_webhook_path_to_the_workers_units_port():
    text = (DEPLOY / "nginx.conf").read_text()
    hook = urlsplit(env_example()["LOA_WEBHOOK_URL"])
    listen = {path.name: dict(v.split("=", 1) for line in unit(path)["Service"].get(
        "Environment", []) for v in shlex.split(line)) for path in UNITS}
    worker_port = port(listen["loa@.service"]["LOA_WEBHOOK_LISTEN"])
    web_port = port(listen["loa-web.service"]["LOA_WEB_LISTEN"])
    assert re.search(rf"upstream loa_workers \{{\s*server 127\.0\.0\.1:{worker_port}\b", text)
    assert re.search(rf"upstream loa_web \{{\s*server 127\.0\.0\.1:{web_port}\b", text)
    server = re.search(rf"server_name {re.escape(hook.hostname)};(.*?)\n\}}", text, re.S)
    assert server and re.search(
        rf"location {re.escape(hook.path)} \{{\s*proxy_pass http://loa_workers;", server[1])


class Health(BaseHTTPRequestHandler):
    status = 200

    def do_GET(self):
        self.send_response(self.status if self.path == "/healthz" else 404)
        self.end_headers()
        self.wfile.write(b'{"ok": true}')

    def log_message(self, *args):
        pass


def healthcheck(**environ: str) -> int:
    return subprocess.run([sys.executable, str(DEPLOY / "healthz.py")], env=environ,
                          capture_output=True, timeout=30).returncode


def test_the_container_healthcheck_passes_on_200_only():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Health)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        listen = f"0.0.0.0:{server.server_port}"
        assert healthcheck(LOA_WEBHOOK_LISTEN=listen) == 0
        assert healthcheck(LOA_WEB_LISTEN=listen) == 0
        assert healthcheck(LOA_WEBHOOK_LISTEN=listen, LOA_WEB_LISTEN="127.0.0.1:1") == 0
        Health.status = 503
        assert healthcheck(LOA_WEBHOOK_LISTEN=listen) == 1
    finally:
        Health.status = 200
        server.shutdown()
        server.server_close()
    assert healthcheck(LOA_WEBHOOK_LISTEN=listen) == 1  # nobody listening
    assert healthcheck() == 1
