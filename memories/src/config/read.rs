//! Typed reading of one config value: booleans, strings, choices from a list, and integers
//! clamped to a range (the clamp reported as a warning). A wrong type is an error naming the key
//! as it is written in its file.

use std::path::Path;

use super::{ConfigError, ConfigWarning};

/// Reads values of one table, collecting warnings.
pub(super) struct ValueReader<'a> {
    /// The file, for errors.
    pub path: &'a Path,
    /// How keys are named in messages: `memories.` in Codex's table, empty in our file.
    pub prefix: &'a str,
    /// Where clamps are reported.
    pub warnings: &'a mut Vec<ConfigWarning>,
}

impl ValueReader<'_> {
    fn name(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    fn type_error(&self, key: &str, expected: impl Into<String>) -> ConfigError {
        ConfigError::Type {
            path: self.path.to_path_buf(),
            key: self.name(key),
            expected: expected.into(),
        }
    }

    fn warn(&mut self, key: &str, message: String) {
        let key = self.name(key);
        self.warnings.push(ConfigWarning { key, message });
    }

    pub fn boolean(&mut self, key: &str, value: &toml::Value) -> Result<bool, ConfigError> {
        value
            .as_bool()
            .ok_or_else(|| self.type_error(key, "true or false"))
    }

    pub fn string(&mut self, key: &str, value: &toml::Value) -> Result<String, ConfigError> {
        value
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| self.type_error(key, "a string"))
    }

    pub fn choice(
        &mut self,
        key: &str,
        value: &toml::Value,
        allowed: &[&str],
    ) -> Result<String, ConfigError> {
        let text = self.string(key, value)?;
        if allowed.contains(&text.as_str()) {
            Ok(text)
        } else {
            Err(self.type_error(key, format!("one of: {}", allowed.join(", "))))
        }
    }

    pub fn positive_u64(&mut self, key: &str, value: &toml::Value) -> Result<u64, ConfigError> {
        let number = value
            .as_integer()
            .ok_or_else(|| self.type_error(key, "an integer"))?;
        if number < 1 {
            self.warn(key, format!("{number} is below 1; using 1"));
        }
        Ok(number.max(1) as u64)
    }

    pub fn ranged(
        &mut self,
        key: &str,
        value: &toml::Value,
        low: u32,
        high: u32,
    ) -> Result<u32, ConfigError> {
        let number = value
            .as_integer()
            .ok_or_else(|| self.type_error(key, "an integer"))?;
        let clamped = number.clamp(i64::from(low), i64::from(high));
        if clamped != number {
            let (side, bound) = if number < i64::from(low) {
                ("below", low)
            } else {
                ("above", high)
            };
            self.warn(key, format!("{number} is {side} {bound}; using {clamped}"));
        }
        Ok(clamped as u32)
    }

    pub fn ranged_u64(
        &mut self,
        key: &str,
        value: &toml::Value,
        low: u64,
        high: u64,
    ) -> Result<u64, ConfigError> {
        let number = value
            .as_integer()
            .ok_or_else(|| self.type_error(key, "an integer"))?;
        let clamped = (number.max(0) as u64).clamp(low, high);
        if i64::try_from(clamped).ok() != Some(number) {
            let (side, bound) = if number < 0 || (number as u64) < low {
                ("below", low)
            } else {
                ("above", high)
            };
            self.warn(key, format!("{number} is {side} {bound}; using {clamped}"));
        }
        Ok(clamped)
    }

    pub fn unknown(&mut self, key: &str, message: &str) {
        self.warn(key, message.to_string());
    }
}
