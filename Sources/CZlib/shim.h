// zlib for gzip output of the data-collection bundle (deflate is not worth writing by hand).
#include <zlib.h>
