//! Constructors and helpers of [`SecurityTetraplet`], named as the marine-rs-sdk release this
//! crate's version follows names them (`add_lens` from 0.14, `add_lambda` before).

use crate::host_api::SecurityTetraplet;
use std::fmt;

impl SecurityTetraplet {
    /// A tetraplet with every field given.
    pub fn new(
        peer_pk: impl Into<String>,
        service_id: impl Into<String>,
        function_name: impl Into<String>,
        lens: impl Into<String>,
    ) -> Self {
        let mut t = SecurityTetraplet { peer_pk: peer_pk.into(), ..Default::default() };
        t.service_id = service_id.into();
        t.function_name = function_name.into();
        *t.lens_mut() = lens.into();
        t
    }

    /// The tetraplet of a literal written in the script: only the init peer is known.
    pub fn literal_tetraplet(init_peer_id: impl Into<String>) -> Self {
        SecurityTetraplet { peer_pk: init_peer_id.into(), ..Default::default() }
    }

    /// Appends `lens` to the tetraplet's lens.
    #[cfg(marine_sdk_tetraplet_lens)]
    pub fn add_lens(&mut self, lens: &str) {
        self.lens_mut().push_str(lens)
    }

    /// Appends `lambda` to the tetraplet's lens (its name before marine-rs-sdk 0.14).
    #[cfg(not(marine_sdk_tetraplet_lens))]
    pub fn add_lambda(&mut self, lambda: &str) {
        self.lens_mut().push_str(lambda)
    }

    fn lens_mut(&mut self) -> &mut String {
        #[cfg(marine_sdk_tetraplet_lens)]
        return &mut self.lens;
        #[cfg(marine_sdk_tetraplet_lambda)]
        return &mut self.lambda;
        #[cfg(marine_sdk_tetraplet_json_path)]
        return &mut self.json_path;
    }

    fn lens_field(&self) -> (&'static str, &str) {
        #[cfg(marine_sdk_tetraplet_lens)]
        return ("lens", &self.lens);
        #[cfg(marine_sdk_tetraplet_lambda)]
        return ("lambda", &self.lambda);
        #[cfg(marine_sdk_tetraplet_json_path)]
        return ("json_path", &self.json_path);
    }
}

impl fmt::Display for SecurityTetraplet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (name, lens) = self.lens_field();
        write!(
            f,
            "peer_pk: {}, service_id: {}, function_name: {}, {}: {}",
            self.peer_pk, self.service_id, self.function_name, name, lens
        )
    }
}
