# One image for every Lorastack role; docker-compose.yml and deploy/k8s choose the command.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# A fixed numeric UID so Kubernetes can check runAsNonRoot without a name lookup.
RUN groupadd --system --gid 10001 lorastack \
    && useradd --system --uid 10001 --gid lorastack --home-dir /app --shell /usr/sbin/nologin lorastack

WORKDIR /app

# Dependencies first, from pyproject.toml alone, so code edits do not reinstall them.
COPY pyproject.toml README.md ./
RUN python -c "import tomllib; deps = tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']; open('/tmp/requirements.txt', 'w').write('\n'.join(deps))" \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

COPY lib ./lib
COPY services ./services
RUN pip install --no-deps . && rm -rf /app/build

USER 10001:10001

# The Things Stack's ports: gRPC, HTTP (REST, /metrics, /healthz), Semtech UDP,
# Basics Station LNS, application MQTT.
ENV LORASTACK_GRPC_ADDRESS=0.0.0.0:1884 \
    LORASTACK_HTTP_ADDRESS=0.0.0.0:1885 \
    LORASTACK_LOG_FORMAT=json
EXPOSE 1884 1885 1700/udp 1887 1883

CMD ["python", "-m", "identityserver"]
