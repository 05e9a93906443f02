use super::editor::{make_output, py_path};

#[test]
fn cat_n_output_numbers_every_split_line() {
    assert_eq!(
        make_output("a\nb\n", "/testbed/x", 1),
        "Here's the result of running `cat -n` on /testbed/x:\n     1\ta\n     2\tb\n     3\t\n"
    );
    assert_eq!(
        make_output("z", "d", 10),
        "Here's the result of running `cat -n` on d:\n    10\tz\n"
    );
}

#[test]
fn paths_print_as_python_pathlib_prints_them() {
    assert_eq!(py_path("/testbed//pkg/./calc.py"), "/testbed/pkg/calc.py");
    assert_eq!(py_path("/testbed/pkg/"), "/testbed/pkg");
    assert_eq!(py_path("rel/../x"), "rel/../x");
    assert_eq!(py_path("/"), "/");
}
