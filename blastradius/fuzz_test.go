package blastradius_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/buildworksai/trustgate"
	br "github.com/buildworksai/trustgate/blastradius"
)

func FuzzClassify(f *testing.F) {
	f.Add("Windows Security Update", "Microsoft Corporation", 50000, uint8(1), "HIGH", uint8(0))
	f.Add("AD Connect", "", 10, uint8(2), "", uint8(2))
	f.Add("Adobe Reader", "Adobe", 10, uint8(1), "LOW", uint8(0))
	f.Add("Adobe PDF Reader", "", 999, uint8(0), "", uint8(0))
	f.Add("Operating-System update", "", 1000, uint8(0), "MEDIUM", uint8(5))
	f.Add("SAP GUI", "SAP SE", 0, uint8(0), "", uint8(1))
	f.Add("", "", -1, uint8(7), "bogus", uint8(9))
	f.Add("\xff\xfe AD\u00a0Connect \u0130", "ǅ", 1<<40, uint8(2), "high", uint8(4))

	def, err := br.NewClassifier(br.DefaultRules(), br.Options{})
	if err != nil {
		f.Fatal(err)
	}
	lenient, err := br.NewClassifier(br.DefaultRules(), br.Options{Default: br.NonCritical})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, name, publisher string, users int, priv uint8, crit string, tier uint8) {
		in := br.Input{
			AppName:     name,
			Publisher:   publisher,
			Privilege:   br.Privilege(priv % 4), // 3 is invalid
			TargetUsers: users,
			Criticality: br.Criticality(crit),
		}
		if tier > 0 {
			in.CMDB = &br.CMDBRecord{ServiceTier: br.Tier(tier - 1), BusinessCriticality: br.Criticality(crit)}
		}
		for _, c := range []*br.Classifier{def, lenient} {
			res, err := c.Classify(in)
			if err != nil {
				var fe *trustgate.Error
				if !errors.As(err, &fe) || fe.Code != trustgate.Invalid || fe.Field == "" || in.Validate() == nil {
					t.Fatalf("Classify(%+v): unexpected error %v", in, err)
				}
				continue
			}
			if !res.Class.Valid() || res.Rule == "" || strings.TrimSpace(res.Reason) == "" {
				t.Fatalf("Classify(%+v) = %+v: want a valid class, a rule and a reason", in, res)
			}
			if again, _ := c.Classify(in); again != res {
				t.Fatalf("Classify(%+v) is not deterministic: %+v then %+v", in, res, again)
			}
			if res.Class == br.NonCritical && (in.Privilege.Elevated() || in.TargetUsers >= br.LargeDeploymentUsers) {
				t.Fatalf("Classify(%+v) = %+v: a floor did not apply", in, res)
			}
		}
	})
}
