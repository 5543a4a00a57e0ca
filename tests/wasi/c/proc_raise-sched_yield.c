/* wasi-functions: proc_raise sched_yield
 * proc_raise is refused on purpose (ENOSYS); sched_yield always works.
 * wasi-libc no longer declares proc_raise, so it is imported by hand. */
#include <assert.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>

__attribute__((import_module("wasi_snapshot_preview1"), import_name("proc_raise")))
uint16_t raw_proc_raise(uint8_t sig);

int main(void)
{
	assert(raw_proc_raise(15) == 52); /* ENOSYS */
	assert(raw_proc_raise(9) == 52);
	assert(sched_yield() == 0);
	return EXIT_SUCCESS;
}
