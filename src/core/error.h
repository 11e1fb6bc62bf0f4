#pragma once
// Errors caused by input (files, configs, command lines) are thrown as vlmq::Error with a one-line
// message naming the file/tensor/field; the CLI prints it and exits non-zero. Programmer errors use assert.
#include <fmt/format.h>

#include <stdexcept>
#include <string>

namespace vlmq {

class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

template <class... Args>
[[noreturn]] void fail(fmt::format_string<Args...> format, Args&&... args) {
    throw Error(fmt::format(format, std::forward<Args>(args)...));
}

// Runs fn(); if it throws vlmq::Error, rethrows with "context: " prepended.
template <class Fn>
decltype(auto) with_context(const std::string& context, Fn&& fn) {
    try {
        return fn();
    } catch (const Error& e) {
        throw Error(context + ": " + e.what());
    }
}

}  // namespace vlmq
