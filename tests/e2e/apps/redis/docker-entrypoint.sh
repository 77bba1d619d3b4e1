#!/bin/sh
# Official-image style entrypoint (as redis, postgres and mariadb images do it): as root, make the data
# directory and give it to the service user, then run this script again as that user; as any other user,
# start the server directly. Debian has no gosu, so setpriv (util-linux) drops the privileges.
set -e

# `docker run IMAGE --appendonly yes`: options for redis-server.
if [ "${1#-}" != "$1" ] || [ "${1%.conf}" != "$1" ]; then
	set -- redis-server "$@"
fi

if [ "$1" = 'redis-server' ] && [ "$(id -u)" = '0' ]; then
	mkdir -p /data
	chown -R redis:redis /data
	exec setpriv --reuid=redis --regid=redis --init-groups "$0" "$@"
fi

umask 0077
exec "$@"
