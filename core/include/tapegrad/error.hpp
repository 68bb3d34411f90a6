#pragma once
// The tg::Error family: every error tapegrad raises says what happened and what to do.

#include <stdexcept>
#include <string>

namespace tg {

/// Base of every exception tapegrad throws.
class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Shapes that do not fit an operation (the message names the op and the shapes).
class ShapeError : public Error {
public:
    using Error::Error;
};

/// Misuse of the tape: backward without a record, a second backward over released
/// entries, a saved tensor changed in place, a tape used from another thread.
class GraphError : public Error {
public:
    using Error::Error;
};

/// An argument out of its domain: an axis out of range, an index past the end.
class ValueError : public Error {
public:
    using Error::Error;
};

/// A NaN or Inf found by anomaly mode (tg::DetectAnomalyGuard).
class AnomalyError : public Error {
public:
    using Error::Error;
};

/// A file that cannot be read or written, or whose content is malformed.
class IoError : public Error {
public:
    using Error::Error;
};

}  // namespace tg
