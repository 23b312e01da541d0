#!/bin/sh
# rfc-index.sh - index and lint the RFC tags in the code (DESIGN.md §8, STYLE.md §4.4).
#
#   sh tests/tools/rfc-index.sh              Markdown index: RFC, section, file:line
#   sh tests/tools/rfc-index.sh --plain      one line per tag: "RFC 5321 §4.1.1.4  smtpd/data.c:88"
#   sh tests/tools/rfc-index.sh --deviations every DEVIATION: marker
#   sh tests/tools/rfc-index.sh --security   every SECURITY: marker
#   sh tests/tools/rfc-index.sh --lint       fail on malformed or obsolete citations, and on a
#                                            tag whose RFC is missing from its file's Standards:
#   sh tests/tools/rfc-index.sh --check-fresh  fail when labs/rfc-index.md differs from what
#                                            this script generates now (make check calls it)
#
# The Markdown index also lists, for each core RFC, the sections that no tag cites yet, so
# that gaps show. The sections come from tests/tools/rfc-sections/<number>.txt, one
# "section<TAB>title" per line, copied from the RFC's table of contents (references,
# acknowledgments, addresses and copyright notices left out; "#" starts a comment line).
# A section counts as cited when a tag names it or one of its subsections.
#
# The tag form is fixed so that this script can find it:
#   RFC <number> §<section>    e.g.  RFC 5321 §4.5.3.1.4   RFC 1939 §7   RFC 5321 §C
set -u
cd "$(dirname "$0")/../.." || exit 1
TAG='RFC [1-9][0-9]{2,4} §([0-9]+|[A-Z])(\.[0-9]+)*'
SOURCES=$(find smtpd pop3d common maildir -name '*.[ch]' 2>/dev/null | LC_ALL=C sort)
# Obsoleted RFCs and the ones that replace them (RFC 5321 obsoletes 821 and 2821, etc.).
OBSOLETE='821:5321 2821:5321 1869:5321 1725:1939 1734:5034 2554:4954 1652:6152 2222:4422 3548:4648 1893:3463'

tags() {
        [ -n "$SOURCES" ] || return 0
        grep -noE "$TAG" $SOURCES | awk -F: '{ print $3 "\t" $1 ":" $2 }' |
                LC_ALL=C sort -t "$(printf '\t')" -k1,1V -k2,2V
}

lint() {
        status=0
        [ -n "$SOURCES" ] || return 0
        # 1. Spellings the index cannot read.
        bad=$(grep -nE 'RFC[0-9]|RFC ?[0-9]+,? ([Ss]ection|[Ss]ec\.)|RFC ?[0-9]+ ?§ ' $SOURCES)
        if [ -n "$bad" ]; then
                echo "rfc-lint: malformed RFC citations (use the form RFC 5321 §4.1.1.4):"
                echo "$bad"
                status=1
        fi
        # 2. Obsolete RFC numbers.
        for pair in $OBSOLETE; do
                old=${pair%%:*}; new=${pair##*:}
                hits=$(grep -nE "RFC $old([^0-9]|\$)" $SOURCES)
                if [ -n "$hits" ]; then
                        echo "rfc-lint: RFC $old is obsolete; cite RFC $new:"
                        echo "$hits"
                        status=1
                fi
        done
        # 3. Every RFC a file cites must be named in its Standards: header.
        for f in $SOURCES; do
                case "$f" in *.c) ;; *) continue ;; esac
                standards=$(awk '/Standards:/ { on = 1 } on && /^ \* *$/ { exit }
                        on { print } /\*\// { exit }' "$f")
                if [ -z "$standards" ]; then
                        echo "rfc-lint: $f has no Standards: line in its header"
                        status=1
                        continue
                fi
                for n in $(grep -oE 'RFC [1-9][0-9]{2,4} §' "$f" | awk '{ print $2 }' | sort -u); do
                        echo "$standards" | grep -qE "RFC $n([^0-9]|\$)" || {
                                echo "rfc-lint: $f cites RFC $n but its Standards: header does not list it"
                                status=1
                        }
                done
        done
        # 4. No unfinished markers in merged code.
        unfinished=$(grep -nE '\b(TODO|FIXME|XXX)\b' $SOURCES)
        if [ -n "$unfinished" ]; then
                echo "rfc-lint: unfinished markers:"
                echo "$unfinished"
                status=1
        fi
        [ $status -eq 0 ] && echo "rfc-lint: $(tags | wc -l) tags in $(echo "$SOURCES" | wc -l) files, all well-formed"
        return $status
}

# The RFCs whose every section the index accounts for.
CORE_RFCS='5321 1939 2449 1870 2920 3463 4954 5034'
SECTIONS_DIR=tests/tools/rfc-sections

# For each core RFC: the sections of its table of contents that no tag cites, and the tags
# that name a section its table of contents does not have (a typo, or a deeper level).
gaps() {
        cited=$(tags | awk -F '\t' '{ split($1, p, " "); sub(/^§/, "", p[3]); print p[2], p[3] }' |
                LC_ALL=C sort -u)
        echo
        echo "## Sections of the core RFCs that nothing cites yet"
        echo
        echo "From the tables of contents in \`tests/tools/rfc-sections/\`. A section counts as"
        echo "cited when a tag names it or one of its subsections."
        for rfc in $CORE_RFCS; do
                file=$SECTIONS_DIR/$rfc.txt
                if [ ! -f "$file" ]; then
                        printf '\n### RFC %s\n\n- (no table of contents in %s)\n' "$rfc" "$file"
                        continue
                fi
                echo "$cited" | awk -v rfc="$rfc" -v file="$file" '
                        $1 == rfc {
                                n = split($2, part, ".")
                                prefix = ""
                                for (i = 1; i <= n; i++) {
                                        prefix = (i == 1) ? part[1] : prefix "." part[i]
                                        covered[prefix] = 1
                                }
                                named[$2] = 1
                        }
                        END {
                                total = 0; missing = 0
                                while ((getline line < file) > 0) {
                                        if (line ~ /^#/ || line == "") continue
                                        split(line, f, "\t")
                                        total++
                                        known[f[1]] = 1
                                        if (!(f[1] in covered)) {
                                                missing++
                                                list[missing] = "- §" f[1] " " f[2]
                                        }
                                }
                                printf "\n### RFC %s: %d of %d sections not cited\n", rfc, missing, total
                                if (missing > 0) printf "\n"
                                for (i = 1; i <= missing; i++) print list[i]
                                unknown = ""
                                for (s in named)
                                        if (!(s in known)) unknown = unknown " §" s
                                if (unknown != "") {
                                        m = split(substr(unknown, 2), sorted, " ")
                                        # A stable order for a generated file: sort by hand.
                                        for (i = 2; i <= m; i++) {
                                                v = sorted[i]; j = i - 1
                                                while (j > 0 && sorted[j] > v) { sorted[j + 1] = sorted[j]; j-- }
                                                sorted[j + 1] = v
                                        }
                                        printf "\nTags naming sections this table of contents does not list:"
                                        for (i = 1; i <= m; i++) printf " %s", sorted[i]
                                        printf "\n"
                                }
                        }'
        done
}

markdown() {
        echo "# Where the code implements each RFC section"
        echo
        echo "Generated by \`make rfc-index\` from the \`RFC n §x\` tags in the source"
        echo "(DESIGN.md §8). Do not edit by hand: \`make check\` fails when this file is stale."
        tags | awk -F '\t' '
                { split($1, p, " "); rfc = p[2]; sec = p[3]
                  if (rfc != last_rfc) { if (last_sec != "") printf "\n"; printf "\n## RFC %s\n\n", rfc; last_rfc = rfc; last_sec = "" }
                  if (sec != last_sec) { if (last_sec != "") printf "\n"; printf "- %s:", sec; last_sec = sec }
                  split($2, loc, ":"); printf " [%s](../%s#L%s)", $2, loc[1], loc[2] }
                END { if (last_sec != "") printf "\n" }'
        gaps
}

# Regenerate into a temporary file and compare with the committed index.
check_fresh() {
        tmp=$(mktemp "${TMPDIR:-/tmp}/rfc-index.XXXXXX") || return 1
        markdown > "$tmp"
        if cmp -s "$tmp" labs/rfc-index.md; then
                rm -f "$tmp"
                echo "rfc-index: labs/rfc-index.md is up to date"
                return 0
        fi
        if [ -f labs/rfc-index.md ]; then
                echo "rfc-index: labs/rfc-index.md is stale; run: make rfc-index"
                diff -u labs/rfc-index.md "$tmp" | head -40
        else
                echo "rfc-index: labs/rfc-index.md is missing; run: make rfc-index"
        fi
        rm -f "$tmp"
        return 1
}

case "${1:-}" in
--plain) tags | awk -F '\t' '{ printf "%-24s %s\n", $1, $2 }' ;;
--deviations) grep -n 'DEVIATION:' $SOURCES ;;
--security) grep -n 'SECURITY:' $SOURCES ;;
--lint) lint ;;
--check-fresh) check_fresh ;;
"") markdown ;;
*) echo "usage: $0 [--plain|--deviations|--security|--lint|--check-fresh]" >&2; exit 64 ;;
esac
