/* SPDX-License-Identifier: MIT
 *
 * users_aliases.c - the aliases file's lines and alias resolution
 * (DESIGN.md §7): where mail for a local part goes, and what EXPN lists.
 *
 * Aliases map a name to local users or to other aliases. Command ("|prog")
 * and file ("/path") targets of the sendmail format are refused at load
 * time, because this server never runs programs or writes files for mail.
 * A target "name@domain" is read as the local name: remote forwarding is
 * not supported. An alias is looked up before a user of the same name, so
 * "student: student, tutor" keeps a copy and sends one on; the alias being
 * expanded is not expanded again inside itself, which also ends loops.
 * postmaster must exist (RFC 5321 §4.5.1); the embedded default aliases
 * file maps it. Reading the file, the tables and their lock are in users.c.
 *
 * Standards:  RFC 5321 §4.5.1, RFC 5321 §3.5.2
 * Threads:    any thread; lookups read the shared tables under users_lock
 *             (LOCKING in users.c).
 * Read next:  smtpd/commands.c (RCPT and EXPN use these), common/users.c.
 */
#include "common/users.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/text.h"
#include "common/users_internal.h"

#define USERS_ALIAS_DEPTH_MAX 8      /* aliases of aliases, this deep at most */

/* One target of an alias line, already trimmed, into member. */
static int users_parse_target(struct users_alias_member *member, const char *target,
                              const char *path, unsigned line_number, char *err,
                              size_t err_size)
{
        char shown[96];
        size_t len = strlen(target);
        text_escape(shown, sizeof shown, target, len);
        if (len == 0) {
                users_load_error(err, err_size, path, line_number, "empty alias target");
                return -1;
        }
        /* SECURITY: command execution. The sendmail alias format can pipe
         * mail into a program or append it to a file; we never do either. */
        if (target[0] == '|' || target[0] == '/' || target[0] == ':' || target[0] == '"') {
                users_load_error(err, err_size, path, line_number,
                                 "target '%s': command, file and include targets are not "
                                 "supported", shown);
                return -1;
        }
        if (len > SMTP_PATH_MAX) {
                users_load_error(err, err_size, path, line_number, "target too long");
                return -1;
        }
        memcpy(member->written, target, len + 1);
        size_t local_len = strcspn(target, "@");
        if (local_len <= USER_NAME_MAX) {
                memcpy(member->local, target, local_len);
                member->local[local_len] = '\0';
        }
        if (local_len > USER_NAME_MAX || !users_name_valid(member->local)) {
                users_load_error(err, err_size, path, line_number,
                                 "target '%s' is not a local user or alias name", shown);
                return -1;
        }
        return 0;
}

/* One line of the aliases file: name: target, target, ... Targets are
 * separated by commas, with optional blanks around them; an empty target
 * (",,") is more likely a typo than intent, so it is an error. */
int users_parse_alias(struct users_tables *t, size_t *capacity, const char *path,
                             unsigned line_number, char *line, char *err, size_t err_size)
{
        char *colon = strchr(line, ':');
        if (colon == NULL) {
                users_load_error(err, err_size, path, line_number,
                                 "missing ':' after the alias name");
                return -1;
        }
        *colon = '\0';
        if (!users_name_valid(line)) {
                users_load_error(err, err_size, path, line_number, "invalid alias name");
                return -1;
        }
        if (!users_grow((void **)&t->aliases, capacity, t->alias_count, sizeof *t->aliases)) {
                users_load_error(err, err_size, path, line_number, "out of memory");
                return -1;
        }
        struct users_alias *alias = &t->aliases[t->alias_count++];
        memset(alias, 0, sizeof *alias);
        memcpy(alias->name, line, strlen(line) + 1);
        alias->line = line_number;

        size_t member_capacity = 0;
        char *rest = colon + 1;
        for (;;) {
                char *comma = strchr(rest, ',');
                if (comma != NULL)
                        *comma = '\0';
                while (*rest == ' ' || *rest == '\t')
                        rest++;
                size_t len = strlen(rest);
                while (len > 0 && (rest[len - 1] == ' ' || rest[len - 1] == '\t'))
                        rest[--len] = '\0';
                if (!users_grow((void **)&alias->members, &member_capacity,
                                alias->member_count, sizeof *alias->members)) {
                        users_load_error(err, err_size, path, line_number, "out of memory");
                        return -1;
                }
                struct users_alias_member *member = &alias->members[alias->member_count];
                memset(member, 0, sizeof *member);
                if (users_parse_target(member, rest, path, line_number, err, err_size) != 0)
                        return -1;
                alias->member_count++;
                if (comma == NULL)
                        return 0;
                rest = comma + 1;
        }
}

static int users_compare_aliases(const void *a, const void *b)
{
        return text_casecmp(((const struct users_alias *)a)->name,
                            ((const struct users_alias *)b)->name);
}

/* Sort t's aliases by name, ignoring ASCII case, for users_find_alias().
 * Two lines for one name are refused, naming both lines. Returns 0, or -1
 * with "FILE:LINE: reason" in err. */
int users_sort_aliases(struct users_tables *t, const char *path, char *err, size_t err_size)
{
        if (t->alias_count > 0)
                qsort(t->aliases, t->alias_count, sizeof *t->aliases, users_compare_aliases);
        for (size_t i = 1; i < t->alias_count; i++) {
                const struct users_alias *a = &t->aliases[i - 1], *b = &t->aliases[i];
                if (text_casecmp(a->name, b->name) == 0) {
                        users_load_error(err, err_size, path,
                                         a->line > b->line ? a->line : b->line,
                                         "duplicate alias '%s' (also on line %u)", b->name,
                                         a->line < b->line ? a->line : b->line);
                        return -1;
                }
        }
        return 0;
}

static const struct users_alias *users_find_alias(const struct users_tables *t, const char *name)
{
        if (t == NULL || t->alias_count == 0)
                return NULL;
        struct users_alias key;
        if (!text_copy(key.name, sizeof key.name, name))
                return NULL;
        return bsearch(&key, t->aliases, t->alias_count, sizeof *t->aliases,
                       users_compare_aliases);
}

/* The state of one users_resolve() call. path holds the aliases being
 * expanded, outermost first, for loop detection. */
struct users_resolution {
        const struct users_tables *tables;
        char (*users)[USER_NAME_MAX + 1];
        size_t max;
        size_t count;
        bool is_overflow;
        bool is_too_deep;
        const struct users_alias *path[USERS_ALIAS_DEPTH_MAX];
        size_t depth;
};

/* Depth-first expansion of name into r->users. An alias is replaced by its
 * members; a name that is already being expanded (it is on r->path) is
 * taken as a user name instead, which both ends loops and lets an alias
 * list the user it shadows. Anything else must be a user, or adds nothing. */
static void users_resolve_name(struct users_resolution *r, const char *name)
{
        const struct users_alias *alias = users_find_alias(r->tables, name);
        for (size_t i = 0; alias != NULL && i < r->depth; i++)
                if (r->path[i] == alias)
                        alias = NULL;   /* inside its own expansion: a user or nothing */
        if (alias != NULL) {
                if (r->depth == USERS_ALIAS_DEPTH_MAX) {
                        r->is_too_deep = true;
                        return;
                }
                r->path[r->depth++] = alias;
                for (size_t i = 0; i < alias->member_count; i++)
                        users_resolve_name(r, alias->members[i].local);
                r->depth--;
                return;
        }
        const struct users_entry *user = users_find_user(r->tables, name);
        if (user == NULL)
                return;         /* a target that names nobody delivers nowhere */
        for (size_t i = 0; i < r->count; i++)
                if (strcmp(r->users[i], user->name) == 0)
                        return;
        if (r->count == r->max) {
                r->is_overflow = true;
                return;
        }
        memcpy(r->users[r->count++], user->name, sizeof user->name);
}

int users_resolve(const char *local, char users_out[][USER_NAME_MAX + 1], size_t max)
{
        /* RFC 5321 §4.5.1: "postmaster" is recognised in any case, even when
         * it is a user rather than an alias. */
        if (text_casecmp(local, "postmaster") == 0)
                local = "postmaster";
        struct users_resolution r = { .users = users_out, .max = max };
        pthread_rwlock_rdlock(&users_lock);
        r.tables = users_current;
        users_resolve_name(&r, local);
        pthread_rwlock_unlock(&users_lock);
        if (r.is_too_deep) {
                char shown[96];
                log_warn(0, "alias '%s' nests deeper than %d levels; the rest is ignored",
                         text_escape(shown, sizeof shown, local, strlen(local)),
                         USERS_ALIAS_DEPTH_MAX);
        }
        return r.is_overflow ? -1 : (int)r.count;
}

int users_alias_members(const char *local, char members_out[][SMTP_PATH_MAX + 1], size_t max)
{
        /* RFC 5321 §3.5.2: EXPN lists the members of a mailing list. */
        size_t count = 0;
        pthread_rwlock_rdlock(&users_lock);
        const struct users_alias *alias = users_find_alias(users_current, local);
        for (; alias != NULL && count < alias->member_count && count < max; count++)
                memcpy(members_out[count], alias->members[count].written,
                       sizeof members_out[count]);
        pthread_rwlock_unlock(&users_lock);
        return (int)count;
}
