/* SPDX-License-Identifier: MIT
 *
 * scan.c - list a Maildir's messages: the snapshot a POP3 session works on.
 *
 * At login pop3d needs every message's number, size on the wire and unique
 * id (RFC 1939 §5 STAT/LIST, RFC 1939 §7 UIDL), and they must not change
 * during the session. We read the names in new/ and then cur/; our own names
 * carry ,S= and ,W=, so a Maildir of 10,000 messages costs two readdir loops
 * and no stat() or open() per file. Names from other programs that lack the
 * sizes cost a stat() (for S) and one read of the file (for W).
 *
 * Reading new/ before cur/ matters: a message that another process moves
 * from new/ to cur/ while we read is then seen twice rather than not at all,
 * and the duplicate (same unique name) is dropped after sorting, keeping the
 * cur/ name, which is the newer one.
 *
 * Order: oldest first by the <secs> of the name, then by the unique name, so
 * message numbers are stable between two scans of an unchanged Maildir.
 *
 * Standards:  RFC 1939 §5, RFC 1939 §7, RFC 1939 §11
 * Threads:    no shared state; the list belongs to the caller.
 * Read next:  maildir/message.c (what the session does with an entry).
 */
#include "maildir/maildir.h"

#include "common/dot.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define READ_BUFFER_SIZE 16384

struct scan_list {
        struct maildir_entry *entries;
        time_t *seconds;        /* parallel to entries, only for sorting */
        size_t count;
        size_t capacity;
};

/* Count the wire octets of a file we have no ,W= for (RFC 1939 §11: the
 * size LIST reports is the size on the wire, CRLF line ends). */
static int wire_size_of_file(int directory_fd, const char *name, uint64_t *size_out,
                             uint64_t *wire_size_out)
{
        struct dot_wire_size wire = { 0 };
        uint64_t size = 0;

        /* On the heap, like the copy buffer of maildir/deliver.c: this rare
         * path must not make every scan touch the session stack's deep
         * pages, which glibc releases at thread exit. */
        char *buffer = malloc(READ_BUFFER_SIZE);
        if (buffer == NULL)
                return -1;
        int fd = openat(directory_fd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0) {
                free(buffer);
                return -1;
        }
        for (;;) {
                ssize_t got = read(fd, buffer, READ_BUFFER_SIZE);
                if (got < 0 && errno == EINTR)
                        continue;
                if (got < 0) {
                        int saved = errno;
                        close(fd);
                        free(buffer);
                        errno = saved;
                        return -1;
                }
                if (got == 0)
                        break;
                size += (uint64_t)got;
                dot_wire_size_add(&wire, buffer, (size_t)got);
        }
        close(fd);
        free(buffer);
        *size_out = size;
        *wire_size_out = dot_wire_size_total(&wire);
        return 0;
}

/* "<dir>/<name>" into a new string. */
static char *join(const char *dir, const char *name)
{
        size_t dir_length = strlen(dir);
        size_t name_length = strlen(name);
        char *joined = malloc(dir_length + 1 + name_length + 1);
        if (joined == NULL)
                return NULL;
        memcpy(joined, dir, dir_length);
        joined[dir_length] = '/';
        memcpy(joined + dir_length + 1, name, name_length + 1);
        return joined;
}

static int list_append(struct scan_list *list, const char *dir, const char *filename,
                       const struct maildir_name *name, uint64_t size, uint64_t wire_size)
{
        if (list->count == list->capacity) {
                size_t capacity = list->capacity == 0 ? 64 : list->capacity * 2;
                if (capacity > SIZE_MAX / sizeof(*list->entries)) {
                        errno = ENOMEM;
                        return -1;
                }
                struct maildir_entry *entries =
                        realloc(list->entries, capacity * sizeof(*entries));
                if (entries == NULL)
                        return -1;
                list->entries = entries;
                time_t *seconds = realloc(list->seconds, capacity * sizeof(*seconds));
                if (seconds == NULL)
                        return -1;
                list->seconds = seconds;
                list->capacity = capacity;
        }
        struct maildir_entry *entry = &list->entries[list->count];
        entry->filename = join(dir, filename);
        entry->unique = strdup(name->unique);
        if (entry->filename == NULL || entry->unique == NULL) {
                free(entry->filename);
                free(entry->unique);
                errno = ENOMEM;
                return -1;
        }
        entry->size = size;
        entry->wire_size = wire_size;
        list->seconds[list->count] = name->seconds;
        list->count++;
        return 0;
}

/* Add the messages of <maildir>/<dir> to list. A missing directory is an
 * empty one (a Maildir nobody delivered to yet). */
static int scan_directory(const char *maildir, const char *dir, struct scan_list *list)
{
        char path[PATH_MAX];
        int length = snprintf(path, sizeof(path), "%s/%s", maildir, dir);
        if (length < 0 || (size_t)length >= sizeof(path)) {
                errno = ENAMETOOLONG;
                return -1;
        }
        DIR *directory = opendir(path);
        if (directory == NULL)
                return errno == ENOENT ? 0 : -1;

        int result = 0;
        for (;;) {
                errno = 0;
                struct dirent *item = readdir(directory);
                if (item == NULL) {
                        if (errno != 0)
                                result = -1;
                        break;
                }
                struct maildir_name name;
                /* Dot files ("." and "..", editors' and other tools' files)
                 * are not messages; maildir_name_parse() refuses them. */
                if (!maildir_name_parse(item->d_name, &name))
                        continue;
#ifdef DT_DIR
                if (item->d_type == DT_DIR)
                        continue;
#endif
                /* The fast path: both sizes from the name, no system call. */
                uint64_t size = name.size;
                uint64_t wire_size = name.wire_size;
                if (!name.has_wire_size) {
                        /* Gone since readdir (another session removed it):
                         * not part of the snapshot. */
                        if (wire_size_of_file(dirfd(directory), item->d_name, &size,
                                              &wire_size) != 0) {
                                if (errno == ENOENT || errno == ELOOP)
                                        continue;
                                result = -1;
                                break;
                        }
                } else if (!name.has_size) {
                        struct stat st;
                        if (fstatat(dirfd(directory), item->d_name, &st,
                                    AT_SYMLINK_NOFOLLOW) != 0) {
                                if (errno == ENOENT)
                                        continue;
                                result = -1;
                                break;
                        }
                        size = (uint64_t)st.st_size;
                }
                if (list_append(list, dir, item->d_name, &name, size, wire_size) != 0) {
                        result = -1;
                        break;
                }
        }
        int saved = errno;
        closedir(directory);
        errno = saved;
        return result;
}

/* qsort() passes no context pointer, so each entry is copied next to its
 * <secs> for the sort and copied back afterwards. */
struct sort_item {
        time_t seconds;
        struct maildir_entry entry;
};

static int compare_items(const void *left_pointer, const void *right_pointer)
{
        const struct sort_item *left = left_pointer;
        const struct sort_item *right = right_pointer;

        if (left->seconds != right->seconds)
                return left->seconds < right->seconds ? -1 : 1;
        int order = strcmp(left->entry.unique, right->entry.unique);
        if (order != 0)
                return order;
        /* The same message in both directories: "cur/" sorts before "new/". */
        return strcmp(left->entry.filename, right->entry.filename);
}

static int sort_and_deduplicate(struct scan_list *list)
{
        if (list->count < 2)
                return 0;
        struct sort_item *items = malloc(list->count * sizeof(*items));
        if (items == NULL)
                return -1;
        for (size_t i = 0; i < list->count; i++) {
                items[i].seconds = list->seconds[i];
                items[i].entry = list->entries[i];
        }
        qsort(items, list->count, sizeof(*items), compare_items);
        size_t kept = 0;
        for (size_t i = 0; i < list->count; i++) {
                if (kept > 0 && strcmp(list->entries[kept - 1].unique,
                                       items[i].entry.unique) == 0) {
                        free(items[i].entry.filename);
                        free(items[i].entry.unique);
                        continue;
                }
                list->entries[kept++] = items[i].entry;
        }
        list->count = kept;
        free(items);
        return 0;
}

/* The list is built in a growing array of entries, each with its own two
 * strings (message.c replaces filename when a message moves), plus a
 * parallel array of <secs> used only for sorting. On any error everything
 * allocated so far is freed and *list_out is empty. */
int maildir_scan(const char *root, const char *user, struct maildir_list *list_out)
{
        char maildir[PATH_MAX];
        struct scan_list list = { 0 };

        list_out->count = 0;
        list_out->entries = NULL;
        /* SECURITY: path traversal. */
        if (root == NULL || !maildir_user_valid(user)) {
                errno = EINVAL;
                return -1;
        }
        int length = snprintf(maildir, sizeof(maildir), "%s/%s", root, user);
        if (length < 0 || (size_t)length >= sizeof(maildir)) {
                errno = ENAMETOOLONG;
                return -1;
        }
        /* new/ first: see the comment at the top of the file. */
        if (scan_directory(maildir, "new", &list) != 0 ||
            scan_directory(maildir, "cur", &list) != 0 ||
            sort_and_deduplicate(&list) != 0) {
                int saved = errno;
                struct maildir_list partial = { .count = list.count, .entries = list.entries };
                maildir_list_free(&partial);
                free(list.seconds);
                errno = saved;
                return -1;
        }
        free(list.seconds);
        list_out->count = list.count;
        list_out->entries = list.entries;
        return 0;
}

void maildir_list_free(struct maildir_list *list)
{
        if (list == NULL)
                return;
        for (size_t i = 0; i < list->count; i++) {
                free(list->entries[i].filename);
                free(list->entries[i].unique);
        }
        free(list->entries);
        list->entries = NULL;
        list->count = 0;
}
