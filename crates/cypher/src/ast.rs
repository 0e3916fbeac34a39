//! The syntax tree of a Cypher text, every node with its [`Span`].
//!
//! Owns: the shapes of statements, clauses, patterns and expressions, and the positions the
//! gate and translators report. Does not own: parsing ([`crate::parser`]) or printing
//! ([`crate::print`]). A few shapes (`Lambda`, `Cast`, Kùzu's `SHORTEST` bounds) are never
//! produced by the parser; translators build them for their engine's dialect.

/// Where a syntax element is: byte range in the text and the 1-based line and column (in
/// characters) of its first character.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    /// Byte offset of the first byte.
    pub start: usize,
    /// Byte offset just past the last byte.
    pub end: usize,
    /// 1-based line of `start`.
    pub line: u32,
    /// 1-based column of `start`, counted in characters.
    pub column: u32,
}

impl Span {
    /// The span covering `self` and `other`.
    pub fn to(self, other: Span) -> Span {
        if other.end >= self.end {
            Span {
                end: other.end,
                ..self
            }
        } else {
            self
        }
    }
}

/// A parsed text: one or more statements separated by `;`.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// The statements, in order (empty statements between `;` are dropped).
    pub statements: Vec<Statement>,
}

/// One statement.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    /// `EXPLAIN` or `PROFILE` prefix.
    pub prefix: Option<StatementPrefix>,
    /// What the statement is.
    pub body: StatementBody,
    /// Where it is.
    pub span: Span,
}

/// `EXPLAIN` / `PROFILE` before a statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatementPrefix {
    /// `EXPLAIN`: plan only.
    Explain,
    /// `PROFILE`: run and report the plan.
    Profile,
}

/// A query or a command.
#[derive(Debug, Clone, PartialEq)]
pub enum StatementBody {
    /// A (possibly updating) query made of clauses.
    Query(RegularQuery),
    /// A schema, administrative or transaction command, recognised by its leading keywords
    /// only: it is refused, never translated.
    Command(Command),
}

/// A command recognised by name (`CREATE INDEX`, `BEGIN`, `COPY`, `SHOW DATABASES`, …).
#[derive(Debug, Clone, PartialEq)]
pub struct Command {
    /// Category of the command.
    pub kind: CommandKind,
    /// The leading keywords, upper-cased and space-separated.
    pub name: String,
    /// Where it is (to the end of the statement).
    pub span: Span,
}

/// Category of a [`Command`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommandKind {
    /// Schema definition: indexes, constraints, tables, sequences, macros, types.
    Schema,
    /// Administration: databases, users, roles, settings, extensions, import/export, files.
    Admin,
    /// Transaction control: `BEGIN`, `COMMIT`, `ROLLBACK`, `CHECKPOINT`.
    Transaction,
}

/// Single queries combined with `UNION` / `UNION ALL`.
#[derive(Debug, Clone, PartialEq)]
pub struct RegularQuery {
    /// The first single query.
    pub first: SingleQuery,
    /// `UNION [ALL]` followed by a single query, in order.
    pub unions: Vec<Union>,
    /// Where it is.
    pub span: Span,
}

/// One `UNION` branch.
#[derive(Debug, Clone, PartialEq)]
pub struct Union {
    /// `UNION ALL` (keeps duplicates).
    pub all: bool,
    /// The branch.
    pub query: SingleQuery,
    /// Where the `UNION` keyword is.
    pub span: Span,
}

/// A sequence of clauses.
#[derive(Debug, Clone, PartialEq)]
pub struct SingleQuery {
    /// The clauses in order.
    pub clauses: Vec<Clause>,
    /// Where it is.
    pub span: Span,
}

/// A clause with its span.
#[derive(Debug, Clone, PartialEq)]
pub struct Clause {
    /// What the clause is.
    pub kind: ClauseKind,
    /// Where it is (starting at its first keyword).
    pub span: Span,
}

/// Reading, projecting and updating clauses.
#[derive(Debug, Clone, PartialEq)]
pub enum ClauseKind {
    /// `[OPTIONAL] MATCH pattern [WHERE expr]`.
    Match {
        /// `OPTIONAL MATCH`.
        optional: bool,
        /// Comma-separated path patterns.
        patterns: Vec<PathPattern>,
        /// `WHERE` predicate.
        where_: Option<Expr>,
    },
    /// `UNWIND expr AS var`.
    Unwind {
        /// The list.
        expr: Expr,
        /// The element variable.
        alias: Ident,
    },
    /// `WITH projection [WHERE expr]`.
    With(Projection),
    /// `RETURN projection`.
    Return(Projection),
    /// `CALL { query } [IN TRANSACTIONS …]`.
    CallSubquery {
        /// The inner query.
        query: Box<RegularQuery>,
        /// `IN [n ROWS OF] TRANSACTIONS` suffix (batched writes).
        in_transactions: bool,
    },
    /// `CALL name.space(args) [YIELD …]`.
    CallProcedure(ProcedureCall),
    /// `CREATE pattern`.
    Create {
        /// The patterns created.
        patterns: Vec<PathPattern>,
    },
    /// `MERGE pattern [ON CREATE SET …] [ON MATCH SET …]`.
    Merge {
        /// The pattern merged.
        pattern: PathPattern,
        /// `ON CREATE` / `ON MATCH` actions: `(on_create, items)`.
        actions: Vec<(bool, Vec<SetItem>)>,
    },
    /// `SET items`.
    Set {
        /// Assignments.
        items: Vec<SetItem>,
    },
    /// `[DETACH] DELETE exprs`.
    Delete {
        /// `DETACH DELETE`.
        detach: bool,
        /// What is deleted.
        exprs: Vec<Expr>,
    },
    /// `REMOVE items`.
    Remove {
        /// Properties (`SetItem::Property` with a null value) or labels removed.
        items: Vec<SetItem>,
    },
    /// `FOREACH (var IN list | clauses)`.
    Foreach {
        /// Loop variable.
        variable: Ident,
        /// The list.
        list: Expr,
        /// Updating clauses in the body.
        clauses: Vec<Clause>,
    },
    /// `LOAD CSV [WITH HEADERS] FROM url AS var [FIELDTERMINATOR s]`.
    LoadCsv {
        /// `WITH HEADERS`.
        with_headers: bool,
        /// The URL expression.
        from: Expr,
        /// Row variable.
        alias: Ident,
        /// `FIELDTERMINATOR` string.
        field_terminator: Option<String>,
    },
}

/// A procedure call.
#[derive(Debug, Clone, PartialEq)]
pub struct ProcedureCall {
    /// Dotted name parts (`db`, `labels`).
    pub name: Vec<Ident>,
    /// Arguments; `None` when written without parentheses.
    pub args: Option<Vec<Expr>>,
    /// `YIELD` items `(field, alias)`; `None` without `YIELD`.
    pub yield_items: Option<Vec<(Ident, Option<Ident>)>>,
    /// `YIELD *`.
    pub yield_star: bool,
    /// `WHERE` after `YIELD`.
    pub where_: Option<Expr>,
}

impl ProcedureCall {
    /// The dotted name as written (`db.labels`).
    pub fn dotted_name(&self) -> String {
        self.name
            .iter()
            .map(|i| i.name.as_str())
            .collect::<Vec<_>>()
            .join(".")
    }
}

/// One item of `SET` / `REMOVE`.
#[derive(Debug, Clone, PartialEq)]
pub enum SetItem {
    /// `target.prop = value` (for `REMOVE target.prop`, `value` is `None`).
    Property {
        /// `n.prop` expression.
        target: Expr,
        /// New value.
        value: Option<Expr>,
    },
    /// `n = map` (`replace`) or `n += map`.
    Variable {
        /// The variable.
        variable: Ident,
        /// The map.
        value: Expr,
        /// `+=`.
        merge: bool,
    },
    /// `n:Label:Other` (set or removed).
    Labels {
        /// The variable.
        variable: Ident,
        /// Label names.
        labels: Vec<Ident>,
    },
}

/// The body of `WITH` / `RETURN`.
#[derive(Debug, Clone, PartialEq)]
pub struct Projection {
    /// `DISTINCT`.
    pub distinct: bool,
    /// `*` as first item.
    pub star: bool,
    /// Projected items.
    pub items: Vec<ProjectionItem>,
    /// `ORDER BY` items.
    pub order_by: Vec<SortItem>,
    /// `SKIP` expression.
    pub skip: Option<Expr>,
    /// `LIMIT` expression.
    pub limit: Option<Expr>,
    /// `WHERE` (only after `WITH`).
    pub where_: Option<Expr>,
}

/// `expr [AS alias]`.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectionItem {
    /// The expression.
    pub expr: Expr,
    /// The alias.
    pub alias: Option<Ident>,
}

/// `expr [ASC|DESC]`.
#[derive(Debug, Clone, PartialEq)]
pub struct SortItem {
    /// The sort key.
    pub expr: Expr,
    /// Descending order.
    pub descending: bool,
}

/// A name (variable, label, property key, alias, function or procedure name part).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ident {
    /// The name, unescaped.
    pub name: String,
    /// Where it is.
    pub span: Span,
}

/// `[var =] [shortestPath(] element [)]`.
#[derive(Debug, Clone, PartialEq)]
pub struct PathPattern {
    /// Path variable.
    pub variable: Option<Ident>,
    /// `shortestPath(…)` / `allShortestPaths(…)` wrapper.
    pub shortest: Option<Shortest>,
    /// The chain of nodes and relationships.
    pub element: PatternElement,
    /// Where it is.
    pub span: Span,
}

/// Which shortest paths are wanted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shortest {
    /// One shortest path (`shortestPath`, Kùzu `SHORTEST`).
    One,
    /// All shortest paths (`allShortestPaths`, Kùzu `ALL SHORTEST`).
    All,
}

/// A node followed by zero or more (relationship, node) steps.
#[derive(Debug, Clone, PartialEq)]
pub struct PatternElement {
    /// The first node.
    pub start: NodePattern,
    /// The following steps.
    pub chain: Vec<(RelPattern, NodePattern)>,
}

/// `(var:Labels {props} WHERE pred)`.
#[derive(Debug, Clone, PartialEq)]
pub struct NodePattern {
    /// Node variable.
    pub variable: Option<Ident>,
    /// Label expression.
    pub labels: Option<LabelExpr>,
    /// Property map or parameter.
    pub properties: Option<Expr>,
    /// Inline `WHERE`.
    pub where_: Option<Expr>,
    /// Where it is.
    pub span: Span,
}

/// Relationship direction as seen from the left node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// `-[]->`.
    Right,
    /// `<-[]-`.
    Left,
    /// `-[]-` (either).
    Both,
}

/// `-[var:TYPES*min..max {props} WHERE pred]->`.
#[derive(Debug, Clone, PartialEq)]
pub struct RelPattern {
    /// Direction.
    pub direction: Direction,
    /// Written with brackets (`-[]-`); `false` for `--`, `-->`, `<--`.
    pub bracketed: bool,
    /// Relationship variable.
    pub variable: Option<Ident>,
    /// Type expression.
    pub types: Option<LabelExpr>,
    /// Variable length.
    pub length: Option<VarLength>,
    /// Property map or parameter.
    pub properties: Option<Expr>,
    /// Inline `WHERE`.
    pub where_: Option<Expr>,
    /// Where it is.
    pub span: Span,
}

/// `*`, `*n`, `*min..`, `*..max`, `*min..max` — and the Kùzu-only shortest-path marker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VarLength {
    /// Lower bound.
    pub min: Option<u64>,
    /// Upper bound.
    pub max: Option<u64>,
    /// `*n` with a single number (exact length).
    pub exact: bool,
    /// Kùzu `* SHORTEST` / `* ALL SHORTEST` (only built by the Kùzu translator).
    pub shortest: Option<Shortest>,
}

/// Label or relationship-type expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LabelExpr {
    /// One name.
    Name(Ident),
    /// Conjunction (`:A:B` or `:A&B`).
    And(Vec<LabelExpr>),
    /// Disjunction (`:A|B`, `:A|:B`).
    Or(Vec<LabelExpr>),
    /// Negation (`:!A`).
    Not(Box<LabelExpr>),
    /// Any label (`:%`).
    Wildcard,
}

/// An expression and its span.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    /// What it is.
    pub kind: ExprKind,
    /// Where it is.
    pub span: Span,
}

/// Literal values.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// Integer as written.
    Int(String),
    /// Float as written.
    Float(String),
    /// String, unescaped.
    Str(String),
}

/// Unary operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    /// `NOT`.
    Not,
    /// `-`.
    Neg,
    /// `+`.
    Plus,
}

/// Binary operators, loosest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    /// `OR`.
    Or,
    /// `XOR`.
    Xor,
    /// `AND`.
    And,
    /// `=`.
    Eq,
    /// `<>`.
    Ne,
    /// `<`.
    Lt,
    /// `<=`.
    Le,
    /// `>`.
    Gt,
    /// `>=`.
    Ge,
    /// `=~`.
    Regex,
    /// `IN`.
    In,
    /// `STARTS WITH`.
    StartsWith,
    /// `ENDS WITH`.
    EndsWith,
    /// `CONTAINS`.
    Contains,
    /// `+`.
    Add,
    /// `-`.
    Sub,
    /// `*`.
    Mul,
    /// `/`.
    Div,
    /// `%`.
    Mod,
    /// `^`.
    Pow,
}

/// `all` / `any` / `none` / `single`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quantifier {
    /// `all(x IN l WHERE p)`.
    All,
    /// `any(…)`.
    Any,
    /// `none(…)`.
    None,
    /// `single(…)`.
    Single,
}

/// Body of `EXISTS { … }`, `COUNT { … }`, `COLLECT { … }`.
#[derive(Debug, Clone, PartialEq)]
pub enum SubqueryBody {
    /// A full query.
    Query(Box<RegularQuery>),
    /// Patterns with an optional `WHERE` (`EXISTS { (a)-->(b) WHERE … }`).
    Pattern {
        /// The patterns.
        patterns: Vec<PathPattern>,
        /// The predicate.
        where_: Option<Box<Expr>>,
    },
}

/// One entry of a map projection `n {…}`.
#[derive(Debug, Clone, PartialEq)]
pub enum MapProjectionItem {
    /// `.key`.
    Property(Ident),
    /// `.*`.
    AllProperties,
    /// `key: expr`.
    Literal(Ident, Expr),
    /// `var` (shorthand for `var: var`).
    Variable(Ident),
}

/// Expression shapes.
#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    /// A literal value.
    Literal(Literal),
    /// `$name`.
    Parameter(String),
    /// A variable.
    Variable(Ident),
    /// `expr.key`.
    Property(Box<Expr>, Ident),
    /// `expr[index]`.
    Index(Box<Expr>, Box<Expr>),
    /// `expr[from..to]`.
    Slice(Box<Expr>, Option<Box<Expr>>, Option<Box<Expr>>),
    /// `[a, b]`.
    List(Vec<Expr>),
    /// `{k: v}`.
    Map(Vec<(Ident, Expr)>),
    /// `var {.a, b: expr, .*}`.
    MapProjection(Ident, Vec<MapProjectionItem>),
    /// Unary operator.
    Unary(UnaryOp, Box<Expr>),
    /// Binary operator.
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    /// `expr IS [NOT] NULL`; the flag is `true` for `IS NOT NULL`.
    IsNull(Box<Expr>, bool),
    /// `expr:Label` predicate.
    HasLabels(Box<Expr>, LabelExpr),
    /// `name(args)` / `ns.name(DISTINCT args)`.
    Function {
        /// Dotted name parts.
        name: Vec<Ident>,
        /// `DISTINCT`.
        distinct: bool,
        /// Arguments.
        args: Vec<Expr>,
    },
    /// `count(*)`.
    CountStar,
    /// `CASE [subject] WHEN … THEN … [ELSE …] END`.
    Case {
        /// Simple-form subject.
        subject: Option<Box<Expr>>,
        /// `WHEN`/`THEN` pairs.
        whens: Vec<(Expr, Expr)>,
        /// `ELSE`.
        else_: Option<Box<Expr>>,
    },
    /// `[x IN list WHERE pred | map]`.
    ListComprehension {
        /// Element variable.
        variable: Ident,
        /// Source list.
        list: Box<Expr>,
        /// Filter.
        filter: Option<Box<Expr>>,
        /// Mapping.
        map: Option<Box<Expr>>,
    },
    /// `[p = (a)-->(b) WHERE pred | map]`.
    PatternComprehension {
        /// Path variable.
        variable: Option<Ident>,
        /// The pattern.
        pattern: Box<PatternElement>,
        /// Filter.
        filter: Option<Box<Expr>>,
        /// Mapping.
        map: Box<Expr>,
    },
    /// `all(x IN list WHERE pred)` and friends.
    Quantified {
        /// Which quantifier.
        quantifier: Quantifier,
        /// Element variable.
        variable: Ident,
        /// Source list.
        list: Box<Expr>,
        /// Predicate.
        predicate: Box<Expr>,
    },
    /// `reduce(acc = init, x IN list | expr)`.
    Reduce {
        /// Accumulator.
        accumulator: Ident,
        /// Initial value.
        init: Box<Expr>,
        /// Element variable.
        variable: Ident,
        /// Source list.
        list: Box<Expr>,
        /// Step expression.
        expr: Box<Expr>,
    },
    /// A pattern used as a predicate (`WHERE (a)-->(b)`).
    Pattern(Box<PatternElement>),
    /// `EXISTS { … }`.
    Exists(SubqueryBody),
    /// `COUNT { … }`.
    CountSubquery(SubqueryBody),
    /// `COLLECT { … }`.
    CollectSubquery(SubqueryBody),
    /// Kùzu lambda `x -> expr` / `(a, b) -> expr` (built by translators).
    Lambda(Vec<Ident>, Box<Expr>),
    /// `CAST(expr AS TYPE)` (built by translators).
    Cast(Box<Expr>, String),
}

impl Expr {
    /// A new expression with the given span.
    pub fn new(kind: ExprKind, span: Span) -> Expr {
        Expr { kind, span }
    }
}
