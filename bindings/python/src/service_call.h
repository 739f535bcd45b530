// Python calls as descriptions. Most calls of the native module have one shape — convert the keyword
// arguments, build the C++ arguments (or a request struct), call one method of a service or repository
// in a fresh context or inside tx=, convert the result — so a call is described by the method it
// calls and its Python arguments; the lambda and the conversions follow from the method's signature:
//
//   DefCall<&Platform::social, &services::Social::Follow>(
//       c, "follow", py::arg("follower_id"), py::arg("followee_id"), py::kw_only(), TxArg(), "doc");
//   DefRequest<&Platform::wallet_service, &services::Wallets::Tip,
//              Fields<&TipRequest::sender_id, &TipRequest::receiver_id, …>, MovementDict>(
//       c, "tip", py::arg("sender_id"), py::arg("receiver_id"), py::kw_only(), …, TxArg(), "doc");
//   DefList<FollowsTraits, &services::FollowRepository::ListByFollower>(
//       c, "list_by_follower", py::arg("follower_id"), py::kw_only(), py::arg("limit") = 20, …);
//
// The accessor is a Platform member (&Platform::social) or a function of Platform& (a repository
// traits' Repo). Python argument i is the method's parameter i after the RequestContext (DefCall), the
// request struct's i-th listed member (DefRequest), or the list's key i (DefList); tx= is always last.
// ArgOf says how each C++ type crosses: a strong id from an int, string_view from str, an enum from its
// name (InvalidArgument naming the argument, with the call's `op`), a field mask from `fields` (by
// the traits' column table), an optional datetime from a datetime or None. The conversions run with
// the GIL held; the call itself runs as CallIn does (GIL released). `Out`, when given, converts the
// result (MovementDict). Calls with an argument of another shape keep their own lambda.
#pragma once

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <array>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "common.h"
#include "repository.h"
#include "transaction.h"

namespace daira::python {

// The last argument of every call that may run inside a transaction.
inline py::arg_v TxArg() { return py::arg("tx") = py::none(); }

// A call's Python name and the operation its argument errors name ("count follows").
struct Named {
  const char* name;
  const char* op;
};

// The members of a request struct, in the order of their Python arguments.
template <auto... Members>
struct Fields {};

// A member holding a JSON object's text (metadata, evidence): its argument is a str (passed as given)
// or any object json.dumps serializes; None leaves an optional member unset.
template <typename S, typename T>
struct JsonMember {
  T S::*member;
};
template <typename S, typename T>
constexpr JsonMember<S, T> Json(T S::*member) {
  return {member};
}

// Where an argument is converted: the error messages name the operation and the argument.
struct Where {
  std::string_view op;
  std::string_view field;
};

// How a C++ parameter of type T crosses from Python: pybind11 converts the argument to Py, From
// makes T of it. `Kind` is the repository traits (for field masks), or void.
template <typename Kind, typename T, typename = void>
struct ArgOf {
  using Py = T;
  static T From(Py v, const Where&) { return v; }
};
template <typename Kind, typename Tag>
struct ArgOf<Kind, StrongId<Tag>> {
  using Py = int64_t;
  static StrongId<Tag> From(int64_t v, const Where&) { return StrongId<Tag>{v}; }
};
template <typename Kind, typename Tag>
struct ArgOf<Kind, std::optional<StrongId<Tag>>> {
  using Py = std::optional<int64_t>;
  static std::optional<StrongId<Tag>> From(const Py& v, const Where&) { return OptId<StrongId<Tag>>(v); }
};
template <typename Kind, typename Tag>
struct ArgOf<Kind, std::vector<StrongId<Tag>>> {
  using Py = std::vector<int64_t>;
  static std::vector<StrongId<Tag>> From(const Py& v, const Where&) { return IdsOf<StrongId<Tag>>(v); }
};
template <typename Kind>
struct ArgOf<Kind, std::optional<Clock::TimePoint>> {
  using Py = py::object;
  static std::optional<Clock::TimePoint> From(const py::object& v, const Where&) { return OptTimeArg(v); }
};
template <typename Kind, typename E>
struct ArgOf<Kind, E, std::enable_if_t<std::is_enum_v<E>>> {
  using Py = std::string;
  static E From(std::string v, const Where& w) { return EnumArg<E>(w.op, w.field, std::move(v)); }
};
template <typename Kind, typename E>
struct ArgOf<Kind, std::optional<E>, std::enable_if_t<std::is_enum_v<E>>> {
  using Py = std::optional<std::string>;
  static std::optional<E> From(const Py& v, const Where& w) { return OptEnumArg<E>(w.op, w.field, v); }
};
// `fields`: the repository's mask (MaskArg).
template <typename Kind, typename E>
struct ArgOf<Kind, query::FieldMask<E>> {
  using Py = py::object;
  static query::FieldMask<E> From(const py::object& v, const Where&) { return MaskArg<Kind>(v); }
};
// A string_view parameter is held as the argument's std::string (alive for the whole call).
template <typename Kind>
struct ArgOf<Kind, std::string_view> {
  using Py = std::string;
  static std::string From(std::string v, const Where&) { return v; }
};
template <typename Kind>
struct ArgOf<Kind, std::optional<std::string_view>> {
  using Py = std::optional<std::string>;
  static std::optional<std::string> From(Py v, const Where&) { return v; }
};

template <typename T>
struct JsonArgOf {
  using Py = py::object;
  static T From(const py::object& v, const Where&) {
    if constexpr (std::is_same_v<T, std::string>) {
      return JsonArg(v);
    } else {
      return OptJsonArg(v);
    }
  }
};

namespace call_internal {

template <typename... T>
struct TypeList {};

// The parameters of a service method after its RequestContext, without references and const.
template <typename M>
struct MethodParams;
template <typename S, typename R, typename... A>
struct MethodParams<R (S::*)(const RequestContext&, A...)> {
  using type = TypeList<std::remove_cvref_t<A>...>;
};
template <typename S, typename R, typename... A>
struct MethodParams<R (S::*)(const RequestContext&, A...) const> {
  using type = TypeList<std::remove_cvref_t<A>...>;
};

// A listed member of a request struct: its pointer, its struct and how its argument crosses.
template <auto M>
struct MemberInfo;
template <typename S, typename T, T S::*M>
struct MemberInfo<M> {
  using Struct = S;
  template <typename Kind>
  using Arg = ArgOf<Kind, T>;
  static constexpr T S::*kPtr = M;
};
template <typename S, typename T, JsonMember<S, T> M>
struct MemberInfo<M> {
  using Struct = S;
  template <typename Kind>
  using Arg = JsonArgOf<T>;
  static constexpr T S::*kPtr = M.member;
};

template <auto F, auto... Rest>
struct First {
  static constexpr auto value = F;
};

// The names of the py::arg annotations among `extra`, in order (the Python arguments' names).
template <size_t N, typename... Extra>
std::array<const char*, N> ArgNames(const Extra&... extra) {
  std::array<const char*, N> names{};
  size_t i = 0;
  auto take = [&](const auto& e) {
    if constexpr (std::is_base_of_v<py::arg, std::decay_t<decltype(e)>>) {
      if (i < N) names[i++] = e.name;
    }
  };
  (take(extra), ...);
  return names;
}

inline const char* NameOf(const char* name) { return name; }
inline const char* NameOf(const Named& n) { return n.name; }
inline const char* OpOf(const char* name) { return name; }
inline const char* OpOf(const Named& n) { return n.op; }

// (accessor(p).*method)(ctx, args...) inside `tx` (CallIn), its result through Out when given.
template <auto Service, auto Method, auto Out, typename Api, typename... A>
auto Run(Api& a, TxState* tx, A&&... args) {
  auto result = [&] {
    return CallIn(a.core, tx, [&](Platform& p, const RequestContext& ctx) {
      return (std::invoke(Service, p).*Method)(ctx, args...);
    });
  };
  using R = decltype(result());
  if constexpr (std::is_void_v<R>) {
    result();
  } else if constexpr (std::is_null_pointer_v<decltype(Out)>) {
    return result();
  } else {
    return Out(result());
  }
}

template <auto Service, auto Method, auto Out, typename Kind, typename Api, typename Params>
struct CallBinding;
template <auto Service, auto Method, auto Out, typename Kind, typename Api, typename... P>
struct CallBinding<Service, Method, Out, Kind, Api, TypeList<P...>> {
  template <typename Name, typename... Extra>
  static void Def(py::class_<Api>& c, const Name& name, Extra&&... extra) {
    const auto names = ArgNames<sizeof...(P)>(extra...);
    const char* op = OpOf(name);
    c.def(
        NameOf(name),
        [names, op](Api& a, typename ArgOf<Kind, P>::Py... args, TxState* tx) {
          return Apply(a, tx, names, op, std::index_sequence_for<P...>{}, std::move(args)...);
        },
        std::forward<Extra>(extra)...);
  }
  template <size_t... I>
  static auto Apply(Api& a, TxState* tx, const std::array<const char*, sizeof...(P)>& names, const char* op,
                    std::index_sequence<I...>, typename ArgOf<Kind, P>::Py... args) {
    // A braced list converts left to right: the first bad argument is the one reported.
    std::tuple<decltype(ArgOf<Kind, P>::From(std::move(args), Where{}))...> values{
        ArgOf<Kind, P>::From(std::move(args), Where{op, names[I]})...};
    return std::apply([&](auto&... v) { return Run<Service, Method, Out>(a, tx, v...); }, values);
  }
};

// The method's parameters are P... (one Python argument each), then the request struct (one Python
// argument per listed member).
template <auto Service, auto Method, auto Out, typename Kind, typename Api, typename Leading,
          typename Members>
struct RequestBinding;
template <auto Service, auto Method, auto Out, typename Kind, typename Api, typename... P, auto... M>
struct RequestBinding<Service, Method, Out, Kind, Api, TypeList<P...>, Fields<M...>> {
  using Req = typename MemberInfo<First<M...>::value>::Struct;
  static constexpr size_t kArgs = sizeof...(P) + sizeof...(M);
  template <typename Name, typename... Extra>
  static void Def(py::class_<Api>& c, const Name& name, Extra&&... extra) {
    const auto names = ArgNames<kArgs>(extra...);
    const char* op = OpOf(name);
    c.def(
        NameOf(name),
        [names, op](Api& a, typename ArgOf<Kind, P>::Py... keys,
                    typename MemberInfo<M>::template Arg<Kind>::Py... args, TxState* tx) {
          return Apply(a, tx, names, op, std::index_sequence_for<P...>{},
                       std::index_sequence_for<decltype(M)...>{}, std::move(keys)..., std::move(args)...);
        },
        std::forward<Extra>(extra)...);
  }
  template <size_t... I, size_t... J>
  static auto Apply(Api& a, TxState* tx, const std::array<const char*, kArgs>& names, const char* op,
                    std::index_sequence<I...>, std::index_sequence<J...>, typename ArgOf<Kind, P>::Py... keys,
                    typename MemberInfo<M>::template Arg<Kind>::Py... args) {
    std::tuple<decltype(ArgOf<Kind, P>::From(std::move(keys), Where{}))...> lead{
        ArgOf<Kind, P>::From(std::move(keys), Where{op, names[I]})...};
    Req req{};
    ((req.*MemberInfo<M>::kPtr =
          MemberInfo<M>::template Arg<Kind>::From(std::move(args), Where{op, names[sizeof...(P) + J]})),
     ...);
    return std::apply([&](auto&... k) { return Run<Service, Method, Out>(a, tx, k..., req); }, lead);
  }
};

// A list: the method's parameters are Keys..., const PageRequest&, FieldMask.
template <typename Kind, auto Method, typename Api, typename Keys>
struct ListBinding;
template <typename Kind, auto Method, typename Api, typename... K>
struct ListBinding<Kind, Method, Api, TypeList<K...>> {
  using Mask = decltype(Kind::Columns().All());
  template <typename Name, typename... Extra>
  static void Def(py::class_<Api>& c, const Name& name, Extra&&... extra) {
    const auto names = ArgNames<sizeof...(K)>(extra...);
    const char* op = OpOf(name);
    c.def(
        NameOf(name),
        [names, op](Api& a, typename ArgOf<Kind, K>::Py... args, int limit, std::string cursor,
                    py::object fields, TxState* tx) {
          return Apply(a, tx, names, op, std::index_sequence_for<K...>{}, limit, cursor, fields,
                       std::move(args)...);
        },
        std::forward<Extra>(extra)...);
  }
  template <size_t... I>
  static PyPage Apply(Api& a, TxState* tx, const std::array<const char*, sizeof...(K)>& names, const char* op,
                      std::index_sequence<I...>, int limit, const std::string& cursor,
                      const py::object& fields, typename ArgOf<Kind, K>::Py... args) {
    std::tuple<decltype(ArgOf<Kind, K>::From(std::move(args), Where{}))...> keys{
        ArgOf<Kind, K>::From(std::move(args), Where{op, names[I]})...};
    Mask mask = ArgOf<Kind, Mask>::From(fields, Where{op, "fields"});
    return ListPage(
        a.core, tx, limit, cursor,
        [keys = std::move(keys), mask](Platform& p, const RequestContext& ctx, const query::PageRequest& r) {
          return std::apply([&](const auto&... k) { return (Kind::Repo(p).*Method)(ctx, k..., r, mask); },
                            keys);
        });
  }
};

// The first N types of a list.
template <size_t N, typename L, typename Out = TypeList<>>
struct Take;
template <typename... Done, typename L>
struct Take<0, L, TypeList<Done...>> {
  using type = TypeList<Done...>;
};
template <size_t N, typename H, typename... T, typename... Done>
requires(N > 0) struct Take<N, TypeList<H, T...>, TypeList<Done...>> {
  using type = typename Take<N - 1, TypeList<T...>, TypeList<Done..., H>>::type;
};
template <typename L>
struct Size;
template <typename... T>
struct Size<TypeList<T...>> {
  static constexpr size_t value = sizeof...(T);
};

}  // namespace call_internal

// The repository class behind traits (services::FollowRepository for FollowsTraits).
template <typename Kind>
using RepoOf = std::remove_reference_t<decltype(Kind::Repo(std::declval<Platform&>()))>;

// The keyword arguments of a DefList call after its keys.
#define DAIRA_PY_LIST_ARGS \
  py::kw_only(), py::arg("limit") = 20, py::arg("cursor") = "", py::arg("fields") = py::none(), TxArg()

// Binds `name` (or Named{name, op}) as a call of (accessor(p).*Method)(ctx, args…): one Python argument
// per parameter, then tx (see above). `extra` are pybind11's annotations: the py::args in order, then
// the docstring.
template <auto Service, auto Method, auto Out = nullptr, typename Kind = void, typename Api, typename Name,
          typename... Extra>
void DefCall(py::class_<Api>& c, const Name& name, Extra&&... extra) {
  using Params = typename call_internal::MethodParams<decltype(Method)>::type;
  call_internal::CallBinding<Service, Method, Out, Kind, Api, Params>::Def(c, name,
                                                                           std::forward<Extra>(extra)...);
}

// Binds `name` as a call of (accessor(p).*Method)(ctx, args…, request): one Python argument per
// parameter before the request struct, then one per listed member of the struct (the others keep their
// defaults; Json(&S::metadata) for a JSON member), then tx.
template <auto Service, auto Method, typename Members, auto Out = nullptr, typename Kind = void, typename Api,
          typename Name, typename... Extra>
void DefRequest(py::class_<Api>& c, const Name& name, Extra&&... extra) {
  using Params = typename call_internal::MethodParams<decltype(Method)>::type;
  using Leading = typename call_internal::Take<call_internal::Size<Params>::value - 1, Params>::type;
  call_internal::RequestBinding<Service, Method, Out, Kind, Api, Leading, Members>::Def(
      c, name, std::forward<Extra>(extra)...);
}

// Binds a repository list: (keys…, *, limit, cursor, fields, tx) → a Page of (Kind::Repo(p).*Method)(ctx,
// keys…, page, mask) that fetches its successors the same way.
template <typename Kind, auto Method, typename Name, typename... Extra>
void DefList(py::class_<typename Kind::Api>& c, const Name& name, Extra&&... extra) {
  using Params = typename call_internal::MethodParams<decltype(Method)>::type;
  using Keys = typename call_internal::Take<call_internal::Size<Params>::value - 2, Params>::type;
  call_internal::ListBinding<Kind, Method, typename Kind::Api, Keys>::Def(c, name,
                                                                          std::forward<Extra>(extra)...);
}

// A repository call (finders, counts): DefCall with the traits' accessor and masks.
template <typename Kind, auto Method, typename Name, typename... Extra>
void DefRepoCall(py::class_<typename Kind::Api>& c, const Name& name, Extra&&... extra) {
  DefCall<&Kind::Repo, Method, nullptr, Kind>(c, name, std::forward<Extra>(extra)...);
}
// A repository call whose one parameter is a filter/request struct built from the listed members.
template <typename Kind, auto Method, typename Members, typename Name, typename... Extra>
void DefRepoRequest(py::class_<typename Kind::Api>& c, const Name& name, Extra&&... extra) {
  DefRequest<&Kind::Repo, Method, Members, nullptr, Kind>(c, name, std::forward<Extra>(extra)...);
}

}  // namespace daira::python
