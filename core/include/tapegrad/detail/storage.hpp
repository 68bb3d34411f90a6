#pragma once
// SharedBuffer<T>: the element buffer behind tg::Array, which views can share.
//
// It meets xtensor's container requirements the way xt::uvector does (xstorage.hpp), so
// `Array<T>` stays an xtensor row-major container. Two things differ from uvector:
//  - alias(source, offset, n) makes a second buffer over n elements of source's memory,
//    starting `offset` elements in; the memory is freed when the last buffer over it goes.
//    A view op (reshape, narrow along axis 0, ...) builds its result's Array over an alias.
//  - Assigning a buffer that shares its memory, at equal size, writes the elements into
//    that memory instead of replacing it (xtensor's `a -= e` and `a = e` both end in a move
//    assignment of a temporary), so a change of a base is seen through its views, as
//    PyTorch's in-place ops are. An unshared buffer takes the temporary's memory over, as
//    uvector does.
// Copying a buffer copies the elements (a deep copy): `Array<T> out = x.value(); out += 1;`
// never changes x.
//
// Sharing costs nothing until it happens: a buffer that was never aliased owns its block
// directly; the first alias makes a small control block (the block's address and size and
// a reference count), installed with a compare-and-swap because several threads may alias
// one parameter at once (DataParallel's workers reshape the same weights).

#include <tapegrad/detail/pool.hpp>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstring>
#include <initializer_list>
#include <iterator>
#include <new>
#include <type_traits>
#include <utility>

namespace tg::detail {

template <class T>
class SharedBuffer {
    static_assert(std::is_trivially_copyable_v<T>, "SharedBuffer holds plain numbers");

public:
    using allocator_type = PoolAllocator<T>;
    using value_type = T;
    using reference = T&;
    using const_reference = const T&;
    using pointer = T*;
    using const_pointer = const T*;
    using size_type = std::size_t;
    using difference_type = std::ptrdiff_t;
    using iterator = T*;
    using const_iterator = const T*;
    using reverse_iterator = std::reverse_iterator<iterator>;
    using const_reverse_iterator = std::reverse_iterator<const_iterator>;

    SharedBuffer() noexcept = default;
    explicit SharedBuffer(const allocator_type&) noexcept {}
    explicit SharedBuffer(size_type n, const allocator_type& = allocator_type()) { allocate(n); }
    SharedBuffer(size_type n, const_reference value, const allocator_type& = allocator_type()) {
        allocate(n);
        std::fill(begin(), end(), value);
    }
    template <class It, class = std::enable_if_t<!std::is_integral_v<It>>>
    SharedBuffer(It first, It last, const allocator_type& = allocator_type()) {
        allocate(static_cast<size_type>(std::distance(first, last)));
        std::copy(first, last, data_);
    }
    SharedBuffer(std::initializer_list<T> values, const allocator_type& = allocator_type())
        : SharedBuffer(values.begin(), values.end()) {}

    /// A deep copy: new memory with the same elements.
    SharedBuffer(const SharedBuffer& other) : SharedBuffer(other.begin(), other.end()) {}
    SharedBuffer(const SharedBuffer& other, const allocator_type&) : SharedBuffer(other) {}
    SharedBuffer(SharedBuffer&& other) noexcept
        : data_(other.data_), size_(other.size_), control_(other.control_.load(kOwner)) {
        other.data_ = nullptr;
        other.size_ = 0;
        other.control_.store(nullptr, kOwner);
    }
    SharedBuffer(SharedBuffer&& other, const allocator_type&) noexcept
        : SharedBuffer(std::move(other)) {}

    /// Equal sizes: the elements are written into this buffer's memory (seen by every
    /// buffer sharing it). Otherwise this buffer gets new memory of its own.
    SharedBuffer& operator=(const SharedBuffer& other) {
        if (this == &other) return *this;
        if (size_ == other.size_) {
            if (size_ != 0) std::memmove(data_, other.data_, size_ * sizeof(T));
        } else {
            SharedBuffer copy(other);
            swap(copy);
        }
        return *this;
    }
    /// Shared memory at equal size: written into (see the top of the file). Otherwise the
    /// memory of `other` is taken over.
    SharedBuffer& operator=(SharedBuffer&& other) noexcept {
        if (this == &other) return *this;
        if (size_ == other.size_ && size_ != 0 && shared()) {
            std::memmove(data_, other.data_, size_ * sizeof(T));
        } else {
            release();
            data_ = std::exchange(other.data_, nullptr);
            size_ = std::exchange(other.size_, 0);
            control_.store(other.control_.load(kOwner), kOwner);
            other.control_.store(nullptr, kOwner);
        }
        return *this;
    }
    ~SharedBuffer() { release(); }

    /// A buffer over elements [offset, offset + n) of `source`'s memory (no copy).
    static SharedBuffer alias(const SharedBuffer& source, size_type offset, size_type n) {
        SharedBuffer view;
        if (n == 0) return view;
        Control* control = source.control_.load(std::memory_order_acquire);
        if (!control) {
            // The first alias of an owning buffer: its block gets a control block.
            Control* fresh =
                new (pool_allocate(sizeof(Control))) Control{source.data_, source.size_};
            if (source.control_.compare_exchange_strong(control, fresh, std::memory_order_acq_rel,
                                                        std::memory_order_acquire)) {
                control = fresh;
            } else {  // another thread installed one first
                pool_deallocate(fresh, sizeof(Control));
            }
        }
        control->references.fetch_add(1, std::memory_order_relaxed);
        view.control_.store(control, std::memory_order_relaxed);
        view.data_ = source.data_ + offset;
        view.size_ = n;
        return view;
    }

    /// Whether another buffer holds this buffer's memory now.
    bool shared() const noexcept {
        const Control* c = control_.load(std::memory_order_acquire);
        return c && c->references.load(std::memory_order_acquire) > 1;
    }
    /// The start of the memory block this buffer lies in (equal for buffers sharing one).
    const void* block() const noexcept {
        const Control* c = control_.load(std::memory_order_acquire);
        return c ? static_cast<const void*>(c->base) : static_cast<const void*>(data_);
    }

    allocator_type get_allocator() const noexcept { return {}; }
    bool empty() const noexcept { return size_ == 0; }
    size_type size() const noexcept { return size_; }
    size_type max_size() const noexcept { return std::size_t(-1) / sizeof(T); }
    size_type capacity() const noexcept { return size_; }
    void reserve(size_type) {}
    void shrink_to_fit() {}
    void clear() { resize(0); }
    /// A new size gives the buffer new memory of its own (the values are not kept, as in
    /// uvector); the same size keeps it.
    void resize(size_type n) {
        if (n == size_) return;
        SharedBuffer fresh(n);
        swap(fresh);
    }

    reference operator[](size_type i) { return data_[i]; }
    const_reference operator[](size_type i) const { return data_[i]; }
    reference at(size_type i) { return data_[checked(i)]; }
    const_reference at(size_type i) const { return data_[checked(i)]; }
    reference front() { return data_[0]; }
    const_reference front() const { return data_[0]; }
    reference back() { return data_[size_ - 1]; }
    const_reference back() const { return data_[size_ - 1]; }
    pointer data() noexcept { return data_; }
    const_pointer data() const noexcept { return data_; }

    iterator begin() noexcept { return data_; }
    iterator end() noexcept { return data_ + size_; }
    const_iterator begin() const noexcept { return data_; }
    const_iterator end() const noexcept { return data_ + size_; }
    const_iterator cbegin() const noexcept { return begin(); }
    const_iterator cend() const noexcept { return end(); }
    reverse_iterator rbegin() noexcept { return reverse_iterator(end()); }
    reverse_iterator rend() noexcept { return reverse_iterator(begin()); }
    const_reverse_iterator rbegin() const noexcept { return const_reverse_iterator(end()); }
    const_reverse_iterator rend() const noexcept { return const_reverse_iterator(begin()); }
    const_reverse_iterator crbegin() const noexcept { return rbegin(); }
    const_reverse_iterator crend() const noexcept { return rend(); }

    void swap(SharedBuffer& other) noexcept {
        std::swap(data_, other.data_);
        std::swap(size_, other.size_);
        Control* mine = control_.load(kOwner);
        control_.store(other.control_.load(kOwner), kOwner);
        other.control_.store(mine, kOwner);
    }

private:
    /// The block shared by aliases: where it starts, its size in elements, and how many
    /// buffers lie in it.
    struct Control {
        T* base;
        std::size_t size;
        std::atomic<std::size_t> references{1};
    };

    void allocate(size_type n) {
        if (n == 0) return;
        data_ = static_cast<T*>(pool_allocate(n * sizeof(T)));
        size_ = n;
    }
    size_type checked(size_type i) const {
        if (i >= size_) throw std::out_of_range("SharedBuffer::at: index past the end");
        return i;
    }
    void release() noexcept {
        Control* c = control_.load(std::memory_order_acquire);
        control_.store(nullptr, kOwner);
        if (c) {
            if (c->references.fetch_sub(1, std::memory_order_acq_rel) == 1) {
                pool_deallocate(c->base, c->size * sizeof(T));
                c->~Control();
                pool_deallocate(c, sizeof(Control));
            }
        } else if (data_) {
            pool_deallocate(data_, size_ * sizeof(T));
        }
        data_ = nullptr;
        size_ = 0;
    }

    /// The order of control_'s loads and stores where only the buffer's owner can be at
    /// work: moving, swapping or releasing a buffer while another thread aliases it is a
    /// use after its end, which the program's own synchronization (a join, a lock) rules
    /// out. Relaxed, as a plain move: x86 makes a seq_cst store or an exchange a locked
    /// instruction, and one in every tensor's construction (the Array moved into its node)
    /// made the blog network's one-row step 12 % slower (benchmarks/README.md).
    static constexpr std::memory_order kOwner = std::memory_order_relaxed;

    T* data_ = nullptr;
    size_type size_ = 0;
    /// Null until the memory is first aliased; mutable: aliasing a const buffer installs it.
    mutable std::atomic<Control*> control_{nullptr};
};

template <class T>
bool operator==(const SharedBuffer<T>& a, const SharedBuffer<T>& b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end());
}
template <class T>
bool operator!=(const SharedBuffer<T>& a, const SharedBuffer<T>& b) {
    return !(a == b);
}
template <class T>
void swap(SharedBuffer<T>& a, SharedBuffer<T>& b) noexcept {
    a.swap(b);
}

}  // namespace tg::detail
