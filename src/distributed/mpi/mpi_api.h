#pragma once
// The C interface between libember and its MPI plugin (libember_mpi.so). The plugin is the only
// code that includes <mpi.h> or links libmpi; libember dlopens it only when the process was
// started by mpirun, so a plain `ember` run never loads MPI. Plain C types keep the boundary
// independent of the MPI implementation and of C++ ABI details.
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define EMBER_MPI_ABI_VERSION 1

enum EmberMpiDType { EMBER_MPI_BYTE = 0, EMBER_MPI_INT32 = 1, EMBER_MPI_INT64 = 2, EMBER_MPI_FLOAT32 = 3,
                     EMBER_MPI_FLOAT64 = 4 };
enum EmberMpiOp { EMBER_MPI_SUM = 0, EMBER_MPI_MAX = 1, EMBER_MPI_MIN = 2, EMBER_MPI_PROD = 3 };

// Every function returns 0 on success; otherwise it writes a message (at most errlen bytes with
// the terminating NUL) into err. Requests are opaque handles; test() releases a request once it
// reports completion. Counts are in elements and must fit in an int (the caller splits).
typedef struct EmberMpiApi {
  int abi_version;
  int (*init)(int* rank, int* size, char* err, int errlen);
  int (*finalize)(char* err, int errlen);
  int (*iallreduce)(void* buf, int count, int dtype, int op, void** req, char* err, int errlen);
  int (*ibcast)(void* buf, int count, int dtype, int root, void** req, char* err, int errlen);
  // out holds size * count elements: rank r's `in` lands at out + r * count.
  int (*iallgather)(const void* in, void* out, int count, int dtype, void** req, char* err, int errlen);
  // in holds size * count elements; out receives the reduction of block `rank`.
  int (*ireduce_scatter)(const void* in, void* out, int count, int dtype, int op, void** req, char* err, int errlen);
  int (*ibarrier)(void** req, char* err, int errlen);
  int (*test)(void* req, int* done, char* err, int errlen);
  void (*abort)(int code);
} EmberMpiApi;

// The plugin's one exported symbol.
const EmberMpiApi* ember_mpi_api(void);

#ifdef __cplusplus
}
#endif
