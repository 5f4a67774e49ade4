"""Buyers (客户): one profile per buyer across orders and shops — orders, spend, last order, favourite
categories, repeat flag, after-sales and complaints — with tiers and segments written as CEL conditions over
the profile's facts (`profile.PROFILE_FACTS`), and a blacklist that review reads (`store.buyer_facts`)."""
