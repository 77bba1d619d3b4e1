#!/bin/sh
# A batch job's entrypoint: wait until the database host resolves (a retry loop whose first try succeeds
# when the host is up, so `sleep` and the give-up branch are not run), then do the work.
set -eu
db_host=${DB_HOST:-localhost}
tries=0
until getent hosts "$db_host" >/dev/null; do
	tries=$((tries + 1))
	if [ "$tries" -ge "${WAIT_TRIES:-50}" ]; then
		echo "gave up waiting for $db_host after $tries tries ($(basename "$0"))"
		exit 3
	fi
	sleep 0.1
done
echo "$db_host resolves; processing /app/data"
sort /app/data/words.txt | uniq -c | sort -k1,1nr -k2,2
echo "lines: $(wc -l < /app/data/words.txt)"
sha256sum /app/data/words.txt | cut -d' ' -f1
exec cat /app/data/footer.txt
