# syntax=docker/dockerfile:1
# Weir: built with Maven on JDK 17, run on a JRE 17 as a non-root user, with bin/weir as the entry point.
#   docker build -t weir:0.1.0 .
#   docker run --rm weir:0.1.0 --plan --config /etc/weir/weir.yaml --format k8s
#   docker run --rm -p 8080:8080 --memory 1098m weir:0.1.0 --config /etc/weir/weir.yaml --upstream HOST:PORT
# The image holds the launcher, the jars, the Chronicle flags list and the configuration, nothing else; the
# launcher runs the jars in /opt/weir/lib (WEIR_CLASSPATH), so it never tries to build inside the image.

FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY pom.xml ./
COPY .ci/checkstyle.xml .ci/
COPY arena/pom.xml arena/
COPY arena/src/main arena/src/main
COPY ring/pom.xml ring/
COPY ring/src/main ring/src/main
COPY stages/pom.xml stages/
COPY stages/src/main stages/src/main
# The reactor lists bench; its pom is enough for -pl stages -am.
COPY bench/pom.xml bench/
RUN --mount=type=cache,target=/root/.m2 mvn -B -ntp -DskipTests package -pl stages -am

FROM eclipse-temurin:17-jre
RUN groupadd --system --gid 10001 weir \
    && useradd --system --uid 10001 --gid weir --home-dir /opt/weir --shell /usr/sbin/nologin weir
COPY --from=build /src/stages/target/lib/ /opt/weir/lib/
COPY --from=build /src/stages/target/weir-stages-*.jar /opt/weir/lib/
COPY stages/src/main/resources/dev/weir/chronicle-jvm-flags.txt /opt/weir/lib/
COPY bin/weir /opt/weir/bin/weir
COPY conf/weir.yaml /opt/weir/conf/weir.yaml
COPY deploy/weir.yaml /etc/weir/weir.yaml
ENV WEIR_CLASSPATH="/opt/weir/lib/*" \
    WEIR_CHRONICLE_FLAGS_FILE=/opt/weir/lib/chronicle-jvm-flags.txt
WORKDIR /opt/weir
USER 10001:10001
# 8080: the proxy (deploy/weir.yaml); 9901: the admin listener (/health, /metrics, /plan) when admin.listen is set.
EXPOSE 8080 9901
ENTRYPOINT ["/opt/weir/bin/weir"]
CMD ["--config", "/etc/weir/weir.yaml"]
