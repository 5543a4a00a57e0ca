# wit/ — the host world's .wit files, the WIT parser and binding generator.
WIT_SRCS := $(wildcard wit/*.c)
WIT_OBJS := $(WIT_SRCS:%.c=$(OBJ)/%.o)
