/*
 * inspect.c — reading the .kiln.meta documents back from an ELF object or a
 * linked binary with libelf.  The linker concatenates the sections of every
 * object it links, possibly with alignment padding between them, so a
 * section holds zero or more NUL-terminated documents separated by NULs.
 * The file is hostile input: every size comes from libelf's checked view.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "driver_impl.h"

/* Split @len bytes at @p on NUL and append each non-empty piece to @docs. */
static int add_docs(struct kiln_meta_docs *docs, const char *p, size_t len)
{
	size_t i = 0;
	while (i < len) {
		const char *nul = memchr(p + i, '\0', len - i);
		size_t n = nul != NULL ? (size_t)(nul - (p + i)) : len - i;
		if (n > 0) {
			char **nd = realloc(docs->docs, (docs->count + 1) * sizeof nd[0]);
			if (nd == NULL)
				return -1;
			docs->docs = nd;
			nd[docs->count] = strndup(p + i, n);
			if (nd[docs->count] == NULL)
				return -1;
			docs->count++;
		}
		i += n + 1;
	}
	return 0;
}

int kiln_meta_read(const char *path, struct kiln_meta_docs *docs, struct kiln_err *err)
{
	int fd = -1, rc = KILN_OK;
	Elf *elf = NULL;
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	bool found = false;

	docs->docs = NULL;
	docs->count = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = kiln_err_set(err, KILN_EIO, "%s: cannot open: %s", path, strerror(errno));
		goto out;
	}
	if (elf_version(EV_CURRENT) == EV_NONE) {
		rc = kiln_err_set(err, KILN_EINTERNAL, "libelf: %s", elf_errmsg(-1));
		goto out;
	}
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (elf == NULL || elf_kind(elf) != ELF_K_ELF) {
		rc = kiln_err_set(err, KILN_EFORMAT,
				  "%s: not an ELF file (expected an object or a linked binary)",
				  path);
		goto out;
	}
	if (elf_getshdrstrndx(elf, &shstrndx) != 0) {
		rc = kiln_err_set(err, KILN_EFORMAT, "%s: bad ELF section header table: %s",
				  path, elf_errmsg(-1));
		goto out;
	}
	while ((scn = elf_nextscn(elf, scn)) != NULL) {
		GElf_Shdr sh;
		const char *name;
		Elf_Data *data = NULL;
		if (gelf_getshdr(scn, &sh) == NULL)
			continue;
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (name == NULL || strcmp(name, KILN_META_SECTION) != 0)
			continue;
		found = true;
		if (sh.sh_type == SHT_NOBITS)
			continue;
		(void)elf_errno(); /* clear, so that the check below sees this loop only */
		while ((data = elf_getdata(scn, data)) != NULL) {
			if (data->d_buf == NULL || data->d_size == 0)
				continue;
			if (add_docs(docs, data->d_buf, data->d_size) != 0) {
				rc = kiln_err_set(err, KILN_ENOMEM, "%s: out of memory", path);
				goto out;
			}
		}
		if (elf_errno() != 0) {
			rc = kiln_err_set(err, KILN_EFORMAT, "%s: cannot read section %s: %s",
					  path, KILN_META_SECTION, elf_errmsg(-1));
			goto out;
		}
	}
	if (!found)
		rc = kiln_err_set(err, KILN_ENOTFOUND,
				  "%s: no %s section (not compiled by kiln compile?)", path,
				  KILN_META_SECTION);
out:
	if (elf != NULL)
		elf_end(elf);
	if (fd >= 0)
		close(fd);
	if (rc != KILN_OK)
		kiln_meta_docs_release(docs);
	return rc;
}

void kiln_meta_docs_release(struct kiln_meta_docs *docs)
{
	if (docs == NULL)
		return;
	for (size_t i = 0; i < docs->count; i++)
		free(docs->docs[i]);
	free(docs->docs);
	docs->docs = NULL;
	docs->count = 0;
}
