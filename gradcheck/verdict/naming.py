"""What a check's entries are called, as one value: Naming (of, wrt, title, label class, shapes,
and the user's terms of a vjp, backward or elementwise check)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from .comparison import entry_name


@dataclass(frozen=True)
class Naming:
    """The names a report gives: `of` (f) and `wrt` (x), the title, the label class a hint may
    name, the shapes of f(x) and x; and, for a check whose f is a stack of cotangent products
    (a vjp or backward check), what each cotangent was, the seeded random ones first; for a check of
    J·v along seeded random tangents (a jvp's), what each tangent was; for an elementwise check,
    that its derivative is the Jacobian's diagonal."""

    of: str = "f"
    wrt: str = "x"
    title: str | None = None
    label_class: int | None = None
    out_shape: tuple[int, ...] = ()
    in_shape: tuple[int, ...] = ()
    cotangents: tuple[str, ...] = ()  # one per entry of f(x), which is then (len(cotangents),)
    random: int = 0  # how many of the cotangents (the first) are seeded random, the others basis
    elementwise: bool = False
    tangents: tuple[str, ...] = ()  # one per entry of x, which is then (len(tangents),): a jvp's J·v
    forward: bool = False  # a Jacobian assembled from a jvp, column by column
    second: bool = False  # a Hessian (the Jacobian of a gradient), or u·H·v of seeded random pairs

    @property
    def heading(self) -> str:
        """The first line's title: the title given, else `gradcheck of df/dx`."""
        return self.title or f"gradcheck of d{self.of}/d{self.wrt}"

    @property
    def out_ndim(self) -> int:
        return len(self.out_shape)

    def shaped(self, out_shape: tuple[int, ...], in_shape: tuple[int, ...]) -> Naming:
        """This naming for an f(x) and an x of these shapes."""
        return replace(self, out_shape=tuple(out_shape), in_shape=tuple(in_shape))

    def jacobian(self) -> Naming:
        """This naming without the user's terms: the Jacobian's entries, `dforward[0]/dW[1, 3]`."""
        return replace(self, cotangents=(), random=0, elementwise=False, tangents=())

    def entry(self, index: tuple[int, ...]) -> str:
        """`W[2, 1]` of a gradient, `dS[0]/dW[2, 1]` of a Jacobian; `dW[2, 1]` of a cotangent's
        product, `tanh'(x)[2]` on an elementwise check's diagonal; `df[2] along tangent 1 of 3` of J·v."""
        out_idx, in_idx = index[: self.out_ndim], index[self.out_ndim :]
        if self.second:
            return self._second(out_idx, in_idx, index)
        if self.cotangents:
            return "d" + entry_name(in_idx, 0, self.of, self.wrt)
        if self.tangents:
            return f"d{entry_name(out_idx, 0, self.wrt, self.of)} along {self.tangents[index[-1]]}"
        if self.elementwise and out_idx == in_idx:
            return entry_name(in_idx, 0, self.of, self.derivative)
        return entry_name(index, self.out_ndim, self.of, self.wrt)

    def qualified(self, index: tuple[int, ...]) -> str:
        """The entry's name, with the cotangent whose product it is of, where there are several."""
        if self.cotangents:
            return f"{self.entry(index)} for {self.cotangents[index[0]]}"
        return self.entry(index)

    def _second(self, out_idx: tuple[int, ...], in_idx: tuple[int, ...], index: tuple[int, ...]) -> str:
        """`d2f/dx[1]dx[2]` of a Hessian, `d2f/dx[1]dv along tangent 1 of 3` of H·v, `d2f along pair 1 of 3`
        of u·H·v."""
        if self.tangents:
            row = f"/d{self.wrt}[{', '.join(map(str, out_idx))}]dv" if out_idx else ""
            return f"d2{self.of}{row} along {self.tangents[index[-1]]}"
        i, j = (f"[{', '.join(map(str, idx))}]" if idx else "" for idx in (out_idx, in_idx))
        return f"d2{self.of}/d{self.wrt}{i}d{self.wrt}{j}" if i or j else f"d2{self.of}/d{self.wrt}2"

    @property
    def derivative(self) -> str:
        """An elementwise derivative's name: `tanh'(x)`."""
        return f"{self.of}'({self.wrt})"
