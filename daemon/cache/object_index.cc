#include "daemon/cache/object_index.h"

#include <algorithm>

namespace tollgate::cache {
namespace {

std::string lowerCase(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  }
  return out;
}

void eraseId(std::vector<uint64_t>& ids, uint64_t id) {
  ids.erase(std::remove(ids.begin(), ids.end(), id), ids.end());
}

}  // namespace

void ObjectIndex::insert(ObjectPtr object, uint64_t fileSize, uint32_t bodyCrc,
                         std::shared_ptr<const std::string> body, std::vector<uint64_t>& gone) {
  const ObjectMeta& meta = object->meta();
  uint64_t id = object->id();
  if (byId_.count(id) != 0) removeEntry(id);  // re-inserting an id: never two entries
  std::vector<uint64_t>& sameKey = byKey_[meta.key];
  for (uint64_t other : std::vector<uint64_t>(sameKey)) {
    if (byId_.at(other).object->meta().variant == meta.variant) {
      removeEntry(other);
      gone.push_back(other);
      ++counts_.replaced;
    }
  }
  // removeEntry may have erased the key's vector when it emptied: look it up again.
  byKey_[meta.key].push_back(id);
  idsByHost_[lowerCase(meta.host)].push_back(id);
  diskLru_.push_front(id);
  Entry& entry = byId_[id];
  entry.object = std::move(object);
  entry.fileSize = fileSize;
  entry.bodyCrc = bodyCrc;
  entry.diskLru = diskLru_.begin();
  entry.memoryLru = memoryLru_.end();
  diskBytes_ += diskUsage(fileSize);
  if (body) addToMemory(entry, std::move(body));
  evictDisk(id, gone);
}

std::vector<ObjectPtr> ObjectIndex::variants(std::string_view key) const {
  std::vector<ObjectPtr> out;
  auto it = byKey_.find(key);
  if (it == byKey_.end()) return out;
  for (auto id = it->second.rbegin(); id != it->second.rend(); ++id) {
    out.push_back(byId_.at(*id).object);
  }
  return out;
}

const ObjectIndex::Entry* ObjectIndex::get(uint64_t id) const {
  auto it = byId_.find(id);
  return it == byId_.end() ? nullptr : &it->second;
}

bool ObjectIndex::touch(uint64_t id) {
  auto it = byId_.find(id);
  if (it == byId_.end()) return false;
  Entry& e = it->second;
  diskLru_.splice(diskLru_.begin(), diskLru_, e.diskLru);
  if (e.memoryBytes > 0) memoryLru_.splice(memoryLru_.begin(), memoryLru_, e.memoryLru);
  return true;
}

bool ObjectIndex::replace(ObjectPtr refreshed) {
  auto it = byId_.find(refreshed->id());
  if (it == byId_.end()) return false;
  Entry& e = it->second;
  const ObjectMeta& was = e.object->meta();
  if (was.key != refreshed->meta().key || was.variant != refreshed->meta().variant ||
      lowerCase(was.host) != lowerCase(refreshed->meta().host)) {
    return false;
  }
  refreshed->memoryBody_.store(e.object->memoryBody_.load());
  e.object = std::move(refreshed);
  return true;
}

bool ObjectIndex::setFileSize(uint64_t id, uint64_t fileSize) {
  auto it = byId_.find(id);
  if (it == byId_.end()) return false;
  diskBytes_ = diskBytes_ - diskUsage(it->second.fileSize) + diskUsage(fileSize);
  it->second.fileSize = fileSize;
  return true;
}

bool ObjectIndex::keepInMemory(uint64_t id, std::shared_ptr<const std::string> body) {
  auto it = byId_.find(id);
  if (it == byId_.end() || it->second.memoryBytes > 0 || !body) return false;
  addToMemory(it->second, std::move(body));
  return it->second.memoryBytes > 0;
}

bool ObjectIndex::remove(uint64_t id) {
  if (byId_.count(id) == 0) return false;
  removeEntry(id);
  return true;
}

size_t ObjectIndex::removeKey(std::string_view key, std::vector<uint64_t>& gone) {
  auto it = byKey_.find(key);
  if (it == byKey_.end()) return 0;
  std::vector<uint64_t> ids = it->second;
  for (uint64_t id : ids) {
    removeEntry(id);
    gone.push_back(id);
  }
  return ids.size();
}

size_t ObjectIndex::removeHost(std::string_view host, std::vector<uint64_t>& gone) {
  auto it = idsByHost_.find(lowerCase(host));
  if (it == idsByHost_.end()) return 0;
  std::vector<uint64_t> ids = it->second;
  for (uint64_t id : ids) {
    removeEntry(id);
    gone.push_back(id);
  }
  return ids.size();
}

ObjectIndex::Reservation ObjectIndex::reserve(uint64_t fileSize, std::vector<uint64_t>& gone) {
  const uint64_t usage = diskUsage(fileSize);
  const uint64_t share = limits_.disk / 2;
  if (usage > share) return Reservation::TooLarge;
  if (usage > share - reserved_) return Reservation::Busy;
  reserved_ += usage;
  evictDisk(0, gone);
  return Reservation::Ok;
}

void ObjectIndex::release(uint64_t fileSize) {
  reserved_ -= std::min(diskUsage(fileSize), reserved_);
}

void ObjectIndex::evictBytes(uint64_t bytes, std::vector<uint64_t>& gone) {
  uint64_t freed = 0;
  while (freed < bytes && !diskLru_.empty()) {
    uint64_t victim = diskLru_.back();
    freed += diskUsage(byId_.at(victim).fileSize);
    removeEntry(victim);
    gone.push_back(victim);
    ++counts_.evictions;
  }
}

void ObjectIndex::removeEntry(uint64_t id) {
  auto it = byId_.find(id);
  Entry& e = it->second;
  const ObjectMeta& meta = e.object->meta();
  dropFromMemory(e);
  diskLru_.erase(e.diskLru);
  diskBytes_ -= diskUsage(e.fileSize);
  auto byKey = byKey_.find(meta.key);
  eraseId(byKey->second, id);
  if (byKey->second.empty()) byKey_.erase(byKey);
  auto byHost = idsByHost_.find(lowerCase(meta.host));
  eraseId(byHost->second, id);
  if (byHost->second.empty()) idsByHost_.erase(byHost);
  byId_.erase(it);
}

void ObjectIndex::addToMemory(Entry& entry, std::shared_ptr<const std::string> body) {
  uint64_t size = std::max<uint64_t>(body->size(), 1);  // an empty body still takes a slot
  if (size > limits_.memory) return;
  while (memoryBytes_ + size > limits_.memory && !memoryLru_.empty()) {
    dropFromMemory(byId_.at(memoryLru_.back()));
    ++counts_.memoryEvictions;
  }
  entry.object->memoryBody_.store(std::move(body));
  memoryLru_.push_front(entry.object->id());
  entry.memoryLru = memoryLru_.begin();
  entry.memoryBytes = size;
  memoryBytes_ += size;
}

void ObjectIndex::dropFromMemory(Entry& entry) {
  if (entry.memoryBytes == 0) return;
  // A reader that already took the body keeps its reference; new readers go to the file.
  entry.object->memoryBody_.store(nullptr);
  memoryLru_.erase(entry.memoryLru);
  entry.memoryLru = memoryLru_.end();
  memoryBytes_ -= entry.memoryBytes;
  entry.memoryBytes = 0;
}

void ObjectIndex::evictDisk(uint64_t keepId, std::vector<uint64_t>& gone) {
  while (diskBytes_ + reserved_ > limits_.disk && !diskLru_.empty()) {
    uint64_t victim = diskLru_.back();
    if (victim == keepId) break;  // only the new object is left before it: let it overshoot
    removeEntry(victim);
    gone.push_back(victim);
    ++counts_.evictions;
  }
}

}  // namespace tollgate::cache
