#pragma once
// The BodyReaders that ObjectStore::openBody() and openGrowingBody() hand out.
//
// Every result is posted to the loop given to next(), also when it is known at once (End, a
// memory body), so a caller's callback never runs inside its own call to next(). Destroying a
// reader (on its loop's thread) cancels it: a result already posted is then dropped, never
// delivered, and its file descriptor is closed on a disk thread.
//
// Threads: a reader's position and CRC are touched by one disk job at a time: next() is "one
// call at a time", and the job that last touched them posted its result to the loop before the
// caller could call next() again (EventLoop::post's mutex orders the two). The file descriptor
// is opened under the reader's own mutex, because a file reader's open job (started by
// openBody so that the file is held open as early as possible) may run on one disk thread
// while the first read waits on another.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "daemon/cache/object_store.h"

namespace tollgate::cache {

struct StoreCore;
class WriterImpl;

// Chunks returned by one next() are at most this large, whatever maxBytes says.
inline constexpr size_t kMaxReadChunk = size_t{4} << 20;

// [offset, end) of a body held in memory.
std::unique_ptr<BodyReader> memoryBodyReader(std::shared_ptr<const std::string> body,
                                             uint64_t offset, uint64_t end);

// [offset, end) of `object`'s file. wholeBodyCrc set (offset 0, end the body length): the CRC
// is computed as the body is read and the last chunk is delivered only once it matches;
// otherwise, or if the file turns out short, the object is dropped and the read is Corrupt.
// keepInMemory: a checked whole body is then added to the memory tier.
std::unique_ptr<BodyReader> fileBodyReader(std::shared_ptr<StoreCore> core, ObjectPtr object,
                                           uint64_t offset, uint64_t end,
                                           std::optional<uint32_t> wholeBodyCrc, bool keepInMemory);

// The body of an object being written, from `offset`; waits at the written end.
std::unique_ptr<BodyReader> growingBodyReader(std::shared_ptr<StoreCore> core,
                                              std::shared_ptr<WriterImpl> writer, uint64_t offset);

// A reader whose first next() is Failed (the object is gone, or the store is closed).
std::unique_ptr<BodyReader> failedBodyReader();

}  // namespace tollgate::cache
