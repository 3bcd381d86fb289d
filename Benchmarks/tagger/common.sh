# Sourced by run.sh and threads.sh (which define ROOT, SCRATCH, WORDPIPE, OUTDIR, log and die).

# The wordpipe binary a benchmark times: a release build (scratch SCRATCH) unless WORDPIPE names
# one, copied to OUTDIR/bin so that a rebuild during the run cannot mix binaries. Sets WP.
wordpipe_binary() {
    if [ -z "$WORDPIPE" ]; then
        log "release build of wordpipe (scratch $SCRATCH)"
        (cd "$ROOT" && swift build -c release --product wordpipe --scratch-path "$SCRATCH" 2>&1 | tail -1)
        WORDPIPE=$(cd "$ROOT" && swift build -c release --product wordpipe --scratch-path "$SCRATCH" --show-bin-path)/wordpipe
    fi
    [ -x "$WORDPIPE" ] || die "no wordpipe binary at $WORDPIPE"
    mkdir -p "$OUTDIR/bin"
    cp "$WORDPIPE" "$OUTDIR/bin/wordpipe"
    WP=$OUTDIR/bin/wordpipe
}
