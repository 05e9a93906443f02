use serde_json::Value;

use super::{OPENHANDS_TOOL_NAMES, openhands_tools};
use crate::pyjson::python_json;

fn keys(v: &Value) -> Vec<&str> {
    v.as_object().unwrap().keys().map(String::as_str).collect()
}

#[test]
fn names_and_key_order() {
    let tools = openhands_tools();
    let names: Vec<&str> = tools
        .iter()
        .map(|t| t["function"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, OPENHANDS_TOOL_NAMES);
    for tool in &tools {
        assert_eq!(keys(tool), ["type", "function"]);
        assert_eq!(
            keys(&tool["function"]),
            ["name", "description", "parameters"]
        );
        assert_eq!(
            keys(&tool["function"]["parameters"]),
            ["type", "properties", "required"]
        );
        // Every required parameter is a property.
        let props = &tool["function"]["parameters"]["properties"];
        for r in tool["function"]["parameters"]["required"]
            .as_array()
            .unwrap()
        {
            assert!(props.get(r.as_str().unwrap()).is_some());
        }
    }
    assert!(python_json(&tools[0]).starts_with(
        r#"{"type": "function", "function": {"name": "execute_bash", "description": "Run a bash"#
    ));
}

#[test]
fn parameters_match_openhands() {
    let tools = openhands_tools();
    let params = |i: usize| keys(&tools[i]["function"]["parameters"]["properties"]);
    assert_eq!(params(0), ["command", "is_input", "timeout"]);
    assert_eq!(
        params(1),
        [
            "command",
            "path",
            "file_text",
            "old_str",
            "new_str",
            "insert_line",
            "view_range"
        ]
    );
    assert_eq!(params(2), ["thought"]);
    assert_eq!(params(3), ["message"]);
    let commands = &tools[1]["function"]["parameters"]["properties"]["command"]["enum"];
    assert_eq!(
        commands,
        &serde_json::json!(["view", "create", "str_replace", "insert", "undo_edit"])
    );
}
