#include <cstdlib>
#include <new>

#include "ember/tensor.h"

namespace ember {

std::shared_ptr<Storage> Storage::allocate(size_t nbytes) {
  auto s = std::make_shared<Storage>();
  size_t rounded = (nbytes + 63) / 64 * 64;  // aligned_alloc wants a multiple of the alignment
  if (rounded == 0) rounded = 64;
  s->data = std::aligned_alloc(64, rounded);
  if (!s->data) throw Error(detail::str_cat("Storage: out of memory allocating ", nbytes, " bytes"));
  s->nbytes = nbytes;
  s->deleter = [](void* p) { std::free(p); };
  return s;
}

std::shared_ptr<Storage> Storage::from_external(void* data, size_t nbytes, std::function<void(void*)> deleter) {
  auto s = std::make_shared<Storage>();
  s->data = data;
  s->nbytes = nbytes;
  s->deleter = std::move(deleter);
  return s;
}

Storage::~Storage() {
  if (deleter && data) deleter(data);
}

}  // namespace ember
