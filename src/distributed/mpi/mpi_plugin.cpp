// libember_mpi.so: the MPI calls behind ember::distributed's MPI backend, exported as a table of C
// functions (mpi_api.h). Built only when CMake finds MPI; libember dlopens it at run time.
// Every collective is non-blocking (MPI-3 I* calls) so that libember can overlap communication
// with computation and give every wait a timeout. All calls come from one thread (the one that
// created the process group), so MPI_THREAD_FUNNELED is enough.
#include <mpi.h>

#include <cstdio>
#include <cstdlib>
#include <new>

#include "distributed/mpi/mpi_api.h"

namespace {

MPI_Comm g_comm = MPI_COMM_NULL;  // a duplicate of MPI_COMM_WORLD, so user MPI code cannot interfere
bool g_we_initialized = false;

int fail(char* err, int errlen, const char* what, int code) {
  char msg[MPI_MAX_ERROR_STRING];
  int len = 0;
  if (code == MPI_SUCCESS || MPI_Error_string(code, msg, &len) != MPI_SUCCESS) std::snprintf(msg, sizeof msg, "error %d", code);
  std::snprintf(err, static_cast<size_t>(errlen), "%s failed: %s", what, msg);
  return code == MPI_SUCCESS ? 1 : code;
}

MPI_Datatype to_mpi(int dtype) {
  switch (dtype) {
    case EMBER_MPI_BYTE: return MPI_BYTE;
    case EMBER_MPI_INT32: return MPI_INT32_T;
    case EMBER_MPI_INT64: return MPI_INT64_T;
    case EMBER_MPI_FLOAT32: return MPI_FLOAT;
    case EMBER_MPI_FLOAT64: return MPI_DOUBLE;
    default: return MPI_DATATYPE_NULL;
  }
}

MPI_Op to_mpi_op(int op) {
  switch (op) {
    case EMBER_MPI_SUM: return MPI_SUM;
    case EMBER_MPI_MAX: return MPI_MAX;
    case EMBER_MPI_MIN: return MPI_MIN;
    case EMBER_MPI_PROD: return MPI_PROD;
    default: return MPI_OP_NULL;
  }
}

// Heap box for an MPI_Request (an int in MPICH, a pointer in Open MPI).
struct Request {
  MPI_Request r = MPI_REQUEST_NULL;
};

int start(int code, Request* box, void** req, const char* what, char* err, int errlen) {
  if (code != MPI_SUCCESS) {
    delete box;
    return fail(err, errlen, what, code);
  }
  *req = box;
  return 0;
}

int check_args(int dtype, int op, bool needs_op, const char* what, char* err, int errlen) {
  if (to_mpi(dtype) == MPI_DATATYPE_NULL) {
    std::snprintf(err, static_cast<size_t>(errlen), "%s: unknown dtype code %d", what, dtype);
    return 1;
  }
  if (needs_op && to_mpi_op(op) == MPI_OP_NULL) {
    std::snprintf(err, static_cast<size_t>(errlen), "%s: unknown reduction code %d", what, op);
    return 1;
  }
  if (g_comm == MPI_COMM_NULL) {
    std::snprintf(err, static_cast<size_t>(errlen), "%s: MPI is not initialized", what);
    return 1;
  }
  return 0;
}

int p_init(int* rank, int* size, char* err, int errlen) {
  int inited = 0, rc;
  MPI_Initialized(&inited);
  if (!inited) {
    // Open MPI's non-blocking allreduce (libnbc) picks the binomial tree for fewer than 4 ranks
    // or in-place buffers, where every rank reduces the whole vector; the ring splits the work
    // and measured twice as fast for 100 MB between 2 ranks (the speed of the blocking
    // MPI_Allreduce). Every rank still gets the same bits. A value the user set wins.
    setenv("OMPI_MCA_coll_libnbc_iallreduce_algorithm", "1", 0);
    int provided = 0;
    rc = MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
    if (rc != MPI_SUCCESS) return fail(err, errlen, "MPI_Init_thread", rc);
    g_we_initialized = true;
  }
  // Errors come back as codes (and become ember::Error) instead of aborting inside MPI.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  if (g_comm == MPI_COMM_NULL) {
    rc = MPI_Comm_dup(MPI_COMM_WORLD, &g_comm);
    if (rc != MPI_SUCCESS) return fail(err, errlen, "MPI_Comm_dup", rc);
    MPI_Comm_set_errhandler(g_comm, MPI_ERRORS_RETURN);
  }
  MPI_Comm_rank(g_comm, rank);
  MPI_Comm_size(g_comm, size);
  return 0;
}

int p_finalize(char* err, int errlen) {
  if (g_comm != MPI_COMM_NULL) MPI_Comm_free(&g_comm);
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (g_we_initialized && !finalized) {
    int rc = MPI_Finalize();
    if (rc != MPI_SUCCESS) return fail(err, errlen, "MPI_Finalize", rc);
  }
  return 0;
}

int p_iallreduce(void* buf, int count, int dtype, int op, void** req, char* err, int errlen) {
  if (int rc = check_args(dtype, op, true, "MPI_Iallreduce", err, errlen)) return rc;
  auto* box = new (std::nothrow) Request;
  if (!box) return fail(err, errlen, "MPI_Iallreduce (out of memory)", MPI_SUCCESS);
  return start(MPI_Iallreduce(MPI_IN_PLACE, buf, count, to_mpi(dtype), to_mpi_op(op), g_comm, &box->r), box, req,
               "MPI_Iallreduce", err, errlen);
}

int p_ibcast(void* buf, int count, int dtype, int root, void** req, char* err, int errlen) {
  if (int rc = check_args(dtype, 0, false, "MPI_Ibcast", err, errlen)) return rc;
  auto* box = new (std::nothrow) Request;
  if (!box) return fail(err, errlen, "MPI_Ibcast (out of memory)", MPI_SUCCESS);
  return start(MPI_Ibcast(buf, count, to_mpi(dtype), root, g_comm, &box->r), box, req, "MPI_Ibcast", err, errlen);
}

int p_iallgather(const void* in, void* out, int count, int dtype, void** req, char* err, int errlen) {
  if (int rc = check_args(dtype, 0, false, "MPI_Iallgather", err, errlen)) return rc;
  auto* box = new (std::nothrow) Request;
  if (!box) return fail(err, errlen, "MPI_Iallgather (out of memory)", MPI_SUCCESS);
  return start(MPI_Iallgather(in, count, to_mpi(dtype), out, count, to_mpi(dtype), g_comm, &box->r), box, req,
               "MPI_Iallgather", err, errlen);
}

int p_ireduce_scatter(const void* in, void* out, int count, int dtype, int op, void** req, char* err, int errlen) {
  if (int rc = check_args(dtype, op, true, "MPI_Ireduce_scatter_block", err, errlen)) return rc;
  auto* box = new (std::nothrow) Request;
  if (!box) return fail(err, errlen, "MPI_Ireduce_scatter_block (out of memory)", MPI_SUCCESS);
  return start(MPI_Ireduce_scatter_block(in, out, count, to_mpi(dtype), to_mpi_op(op), g_comm, &box->r), box, req,
               "MPI_Ireduce_scatter_block", err, errlen);
}

int p_ibarrier(void** req, char* err, int errlen) {
  if (int rc = check_args(EMBER_MPI_BYTE, 0, false, "MPI_Ibarrier", err, errlen)) return rc;
  auto* box = new (std::nothrow) Request;
  if (!box) return fail(err, errlen, "MPI_Ibarrier (out of memory)", MPI_SUCCESS);
  return start(MPI_Ibarrier(g_comm, &box->r), box, req, "MPI_Ibarrier", err, errlen);
}

int p_test(void* req, int* done, char* err, int errlen) {
  auto* box = static_cast<Request*>(req);
  int rc = MPI_Test(&box->r, done, MPI_STATUS_IGNORE);
  if (rc != MPI_SUCCESS) {
    *done = 1;
    delete box;
    return fail(err, errlen, "MPI_Test", rc);
  }
  if (*done) delete box;
  return 0;
}

void p_abort(int code) { MPI_Abort(MPI_COMM_WORLD, code); }

const EmberMpiApi kApi = {EMBER_MPI_ABI_VERSION, p_init,     p_finalize, p_iallreduce, p_ibcast, p_iallgather,
                          p_ireduce_scatter,     p_ibarrier, p_test,     p_abort};

}  // namespace

extern "C" __attribute__((visibility("default"))) const EmberMpiApi* ember_mpi_api(void) { return &kApi; }
